"""Prototype facts of habits, interests, health and plans: diet, drink, smoking, health,
hobby, instrument, language, sport_team, plan.

Data only, merged into ``vocab_prototypes.PROTOTYPES``. A change of habit is often only its
start or its end ("Went vegan in January", "Fell off the keto wagon").
"""

from __future__ import annotations

__all__ = ["HABITS"]

HABITS: dict[str, tuple[str, ...]] = {
    "diet": (
        "Is vegetarian", "Is vegan", "Follows a keto diet", "Is pescatarian",
        "Does intermittent fasting", "Skips breakfast and eats in an eight hour window",
        "Eats meat again", "Cut out sugar", "Is eating gluten free", "Went plant-based",
        "Eats mostly fish and vegetables", "Counts calories", "Is off dairy",
        "Is back to eating normally",
        "Went vegan in January", "Is veggie now", "Stopped eating meat", "Is doing keto again",
        "Eats halal", "Keeps kosher", "Quit the vegan thing", "Is on a low carb diet",
        "Cut out gluten", "Gave up red meat", "Is doing Whole30", "Is on a diet",
        "Doesn't eat beef", "Fell off the keto wagon", "Eats whatever now",
        "Is a vegitarian now", "Went back to eating burgers",
    ),
    "drink": (
        "Is a coffee person", "Drinks tea instead of coffee", "Is more of a tea drinker",
        "Drinks chai every morning", "Is picky about coffee beans", "Only drinks espresso",
        "Switched from coffee to green tea", "Can't start the day without coffee",
        "Switched to decaf", "Drinks oat milk lattes", "Quit coffee", "Is a tea guy",
        "Drinks matcha now", "Gave up caffeine", "Drinks three coffees a day",
        "Quit drinking alcohol", "Is sober now", "Lives on energy drinks",
        "Takes their coffee black",
    ),
    "smoking": (
        "Smokes cigarettes", "Quit smoking", "Vapes every day", "Smokes a pack a day",
        "Is trying to quit vaping", "Has been smoke-free for a month",
        "Started smoking again", "Uses nicotine pouches",
        "Quit cigs", "Gave up smoking", "Still smokes", "Picked up vaping",
        "Is down to five cigarettes a day", "Quit the vape", "Chews nicotine gum",
        "Has been off cigarettes for a year", "Switched from cigarettes to a vape",
        "Smokes the occasional cigar",
    ),
    "health": (
        "Is allergic to peanuts", "Has asthma", "Broke their leg", "Has diabetes",
        "Is pregnant", "Has their arm in a cast", "Has low vitamin D",
        "Has a bad back", "Is on blood pressure medication", "Had knee surgery",
        "Got diagnosed with ADHD", "The stitches came out", "Has long covid",
        "Sprained an ankle", "Has a cold", "Got covid", "Is recovering from surgery",
        "Is on antidepressants", "Has anxiety", "Gets migraines", "Pulled a hamstring",
        "Is allergic to shellfish", "Has Crohn's disease", "Is lactose intolerant", "Got glasses",
        "Is in physical therapy", "Has a broken wrist", "Is cancer free now",
        "Has high cholesterol", "Is type 1 diabetic", "Threw out their back", "Has IBS",
        "Is going through chemo", "Got the boot off their foot",
    ),
    "hobby": (
        "Loves hiking", "Enjoys painting", "Plays soccer on weekends", "Goes rock climbing",
        "Does yoga every morning", "Runs every morning", "Swims laps at the pool",
        "Takes a pottery class", "Is really into tennis these days", "Plays in a basketball league",
        "Snowboards every winter", "Collects comic books", "Knits in the evenings",
        "Is into photography", "Goes to the gym a few times a week", "Plays chess online",
        "Bakes sourdough on weekends", "Is obsessed with board games",
        "Got really into bouldering", "Is into crochet", "Plays D&D every Friday",
        "Does CrossFit", "Started running", "Quit running", "Goes fishing on weekends",
        "Is obsessed with gardening", "Plays golf", "Does jigsaw puzzles",
        "Streams games on Twitch", "Is into birdwatching", "Swims instead of running now",
        "Paints miniatures", "Brews beer at home", "Plays pickleball", "Goes to salsa classes",
        "Plays a lot of Valorant", "Reads a ton of fantasy", "Does woodworking in the garage",
        "Is learning to surf",
    ),
    "instrument": (
        "Plays the guitar", "Is learning the piano", "Plays drums in a band",
        "Picked up the violin again", "Practices the cello every day", "Plays bass in a cover band",
        "Picked up the mandolin", "Is learning to play the drums", "Plays keys in a band",
        "Gave up piano", "Switched from guitar to bass", "Plays sax in a jazz band",
        "Started violin lessons", "Plays the harmonica", "Has been playing guitar since twelve",
        "Got a new electric guitar", "Quit the trumpet", "Is teaching themself the banjo",
        "Plays the organ at church",
    ),
    "language": (
        "Speaks Spanish", "Is learning Japanese", "Speaks French fluently",
        "Stopped studying German", "Is picking up some Italian",
        "Is learning Korean on Duolingo", "Speaks a bit of Portuguese", "Is fluent in Mandarin",
        "Let their French slide", "Grew up speaking Tagalog", "Takes Spanish lessons",
        "Is bilingual", "Speaks three languages", "Is brushing up on German",
        "Switched from Japanese to Korean", "Is learning sign language", "Started Arabic classes",
    ),
    "sport_team": (
        "Supports Arsenal", "Is a Lakers fan", "Roots for the Yankees",
        "Is a die hard Liverpool fan", "Supports Man United", "Roots for the Chiefs",
        "Is a Celtics fan", "Follows Barcelona", "Switched allegiance to the Mets",
        "Cheers for the Packers", "Is a huge Real Madrid supporter", "Goes to every Cubs game",
        "Stopped supporting Chelsea",
    ),
    "plan": (
        "Is planning a trip to Japan", "Is going to Italy next summer",
        "Plans to run a marathon", "Is getting married in June",
        "The trip to Iceland is not happening anymore", "Is going camping next month",
        "Is staying home for the holidays instead", "Wants to travel for a while",
        "Booked flights to Mexico", "Is hosting a party on Saturday",
        "Is flying home for Christmas", "Booked a cruise for the summer",
        "Is going to a wedding in May", "The Paris trip got pushed to next year",
        "Is running a half in the spring", "Is taking a gap year", "Wants to visit Peru",
        "Is hoping to buy a house next year", "Has a concert on Friday",
        "Is throwing a birthday party for their kid", "Bailed on the camping weekend",
        "Is doing a road trip across the states", "Got tickets to Coachella",
    ),
}
