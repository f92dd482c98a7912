"""Labelled example facts for ``worth.Worth``: durable facts about a person, and chatter.

Data only. Written for this module in the stored form (third person, subject mostly left out),
not taken from any evaluation conversation. ``DURABLE``: what a memory should hold a week later
(job, home, people, pets, health, habits, likes, possessions, plans, skills, dated events, and
what a day held: a meal, a game, a show, an ailment, an outing, which later questions ask for).
``CHATTER``: what only mattered in the moment (a feeling, a reaction, a joke, a scene, a detail
of a story, filler, a judgement of something said).
"""

from __future__ import annotations

__all__ = ["DURABLE", "CHATTER"]

DURABLE: tuple[str, ...] = (
    # work and study
    "Works night shifts at a warehouse", "Teaches high school chemistry", "Is a dental hygienist",
    "Runs a small bakery downtown", "Got a job at the city library", "Manages a team of six",
    "Is studying to become an electrician", "Is in the second year of nursing school",
    "Freelances as a graphic designer", "Drives for a delivery company",
    "Was made head of the sales team", "Is between jobs right now",
    # home and places
    "Lives with two roommates near the university", "Rents a basement apartment",
    "Grew up on a farm in Iowa", "Has lived in Osaka for ten years", "Bought a condo last spring",
    "Spends summers at a lake cabin", "Is moving across the country in the fall",
    # people
    "Has a twin sister", "Is raising two boys on their own", "Has been married for twelve years",
    "Mom lives in Florida", "Brother is a firefighter", "Best friend is named Carla",
    "Daughter started kindergarten", "Grandpa is in a care home", "Is close with their cousin Leo",
    "Husband works in construction", "Coworker Dana is their carpool buddy",
    "Dad has been sick for a while", "Neighbor watches their kids on Fridays",
    "Supervisor keeps criticising their work", "Landlord keeps ignoring their texts",
    "Sister keeps borrowing their car", "Manager micromanages the whole team",
    "Friend is helping them paint the house next week", "Uncle gave them his old truck",
    "Son plays on the school basketball team", "Roommate works nights at the hospital",
    # pets and possessions
    "Has an old tabby cat", "Keeps chickens in the backyard", "Owns a vintage record player",
    "Has a motorcycle", "Drives a beat-up minivan", "Has a huge collection of vinyl",
    "Has three aquariums", "Gave their old bike to a neighbour", "Has a garage full of tools",
    "Is really into climbing these days", "Owns way too many sneakers",
    # health and body
    "Is lactose intolerant", "Has a bad knee from an old injury", "Takes medication for anxiety",
    "Is colour blind", "Wears glasses", "Has celiac disease", "Is recovering from a surgery",
    "Gets migraines a few times a month", "Is training for a half marathon",
    "Has their arm in a sling for a month", "Has been sober for two years",
    # habits and routines
    "Runs five miles every morning", "Meditates before bed", "Cooks dinner at home most nights",
    "Bikes to work", "Drinks a lot of coffee", "Goes to church every Sunday",
    "Walks the dog twice a day", "Smokes when stressed", "Reads before sleeping",
    "Plays video games most evenings", "Goes to the gym after work",
    "Always double-checks the locks at night", "Usually sleeps in on Sundays",
    "Eats cereal for dinner most nights", "Never misses a Monday yoga class",
    "Does their best thinking late at night", "Bites their nails when nervous",
    "Drinks way too much energy drink", "Takes the train to work every day",
    "Calls their mom every Sunday", "Orders takeout almost every night",
    "Shops at the farmers market on Saturdays", "Is always the one who plans the trips",
    # likes, dislikes, preferences, beliefs
    "Loves spicy food", "Hates flying", "Is afraid of spiders",
    "Prefers the mountains to the beach",
    "Is a big fan of jazz", "Likes true crime podcasts", "Doesn't drink alcohol",
    "Collects old coins", "Is really into gardening", "Supports the local football club",
    "Watches a lot of anime", "Enjoys baking bread", "Is a cat person",
    # skills and languages
    "Knows how to sew", "Speaks three languages", "Is learning to code", "Can play the violin",
    "Has a black belt in karate", "Is good at chess",
    # plans and goals
    "Wants to open a restaurant some day", "Is saving up for a house",
    "Plans to visit Peru next year", "Is getting married in October", "Hopes to go back to school",
    "Is applying to grad programs", "Is trying to lose weight",
    "Is hosting a barbecue on Saturday", "Is throwing a birthday party for their son",
    "Is taking a year off to travel", "Is thinking about changing careers",
    # dated events worth keeping
    "Ran a charity 10k on 2023-05-14", "Adopted a rescue dog", "Graduated from college in 2019",
    "Had a baby girl in March", "Went to Japan with their partner in 2022",
    "Started a podcast with a friend", "Got their driving license", "Broke their ankle skiing",
    "Visited their grandparents in Manila last summer", "Lost their father two years ago",
    "Volunteered at a food bank on 2024-02-03", "Finished their first marathon",
    "Passed the bar exam", "Went to a concert with their sister on 2023-11-02",
    "Took a painting class on 2024-01-20", "Got engaged at Christmas",
    # what a day held: meals, games, shows, ailments, outings (what a later question asks for)
    "Cooked pasta for dinner", "Had eggs and a bagel with a latte for breakfast",
    "Made mac and cheese for the kids", "Had miso soup for lunch", "Played a new video game",
    "Used to play an online game with friends", "Watched a documentary about a serial killer",
    "Went to the movies with a friend", "Has a nosebleed", "Caught a cold",
    "Went for a bike ride along the coast", "Went hiking with their dad after work",
    "Has to rest for a month after hurting their back", "Is going shopping later",
    "Is going to try baking a cake this weekend", "Downloaded mods for a game",
)

CHATTER: tuple[str, ...] = (
    # feelings and reactions of the moment
    "Was so happy they cried", "Is really tired today", "Feels kind of weird about it",
    "Could not stop laughing", "Was shaking with excitement", "Is a bit nervous",
    "Yelled out loud when they heard", "Is still in shock", "Felt like a kid again",
    "Is so done with this week", "Was on cloud nine", "Nearly fell off the chair",
    "Jumped up and down in the kitchen", "Almost dropped the phone", "Is kind of bummed",
    "Felt proud for once", "Hates mornings like this", "Is annoyed about it",
    # missing, wishing, grumbling in the moment
    "Misses the old days", "Misses lazy mornings", "Wishes it was Friday already",
    "Does not miss the old car one bit", "Doesn't even miss sugar",
    "Video calls just aren't the same",
    "Work is boring without them", "Should really start stretching", "Ought to sleep earlier",
    "Should probably get a haircut soon", "Probably needs to drink more water",
    "Doesn't even miss the noise of the city",
    "Can't believe it", "Is not used to it yet", "Can't wait for the weekend",
    "Still thinks about it sometimes", "Regrets nothing",
    # judgements of a thing just said
    "Is pretty cool", "Was amazing", "Is honestly the worst", "Was not that bad",
    "Is way better than expected", "Was kind of a disaster", "Is so much fun", "Is hilarious",
    "Is weird but good", "Was totally worth it", "Tastes better than it looks", "Is a lot",
    # details of a story, scenes, reported speech
    "Boss told them on the phone", "Found out by text", "The kids made a mess everywhere",
    "Stuff is all over the floor", "Took forever to find parking", "Did it in one go",
    "Spilled coffee on the keyboard", "The line was out the door", "It rained the whole time",
    "Mom called right after", "Someone said it was fine", "Got there late", "Told nobody yet",
    "Friend laughed at them", "Waited two hours for it", "Left the keys in the car",
    "The bus was late again", "Forgot the charger at home", "Was the last one to leave",
    "Took a ton of photos", "Had to ask twice", "Ended up walking home",
    "The neighbours were loud last night", "It was freezing outside",
    "Socks got soaked on the way in", "Jacket is covered in mud", "Wore pajamas to the video call",
    "Aunt burned the turkey", "Cousin spilled wine on the rug", "Grandma dozed off at dinner",
    "Already bought the tickets", "Pushed it back to next month", "Booked a table for eight",
    "Postponing it until the spring", "Rescheduling for after the holidays",
    "Just nods and smiles when they don't follow", "Points at the pictures on the menu",
    # the logistics of a plan, not the plan
    "Already paid the deposit", "Still has to sort out the hotel", "Printed the boarding passes",
    "Moved the appointment to Thursday", "Is pushing it back a year", "Might get the train instead",
    "Is thinking of just staying in instead", "Sorted a babysitter for that night",
    # a joke about oneself, not what one is
    "Is basically a professional napper at this point", "Is officially an old person now lol",
    "Their place is way nicer than hers", "The new office is quieter than the old one",
    # fragments and filler
    "Like ten minutes tops", "Not even close", "Kind of a long story",
    "For real this time", "Something like that", "Pretty much every time", "If they're honest",
    "No idea why", "Just because", "Or whatever", "Same as always", "Almost there",
    "Long day", "So yeah", "Things happen",
    # doing a small thing right now
    "Is watching a movie tonight", "Just got out of the shower",
    "Is sitting on the couch", "Is about to go to sleep",
    "Is typing with one hand", "Has a lot of laundry to do", "Just woke up from a nap",
    "Watched a silly video", "Took a long bath", "Is stuck in traffic",
    # reasons and comments about something else
    "Because the pay was bad", "Which makes sense", "Since it was cheaper", "Thanks to the weather",
    "The team is nice though", "Not glamorous but fine", "It was about time",
    "Everyone else was doing it", "The price was too high", "They had no choice",
)
