"""Prototype facts of who a person is and lives with: name, age, birthday, origin, home,
relationship, family, pet.

Data only, merged into ``vocab_prototypes.PROTOTYPES``. A home is often bought, rented or
settled in rather than "moved to"; a relationship often only ends.
"""

from __future__ import annotations

__all__ = ["PEOPLE"]

PEOPLE: dict[str, tuple[str, ...]] = {
    "name": (
        "Name is Sam", "Goes by Dan", "Is called Maria by friends", "Everyone calls them Jo",
        "Prefers to be called Alex", "Full name is Robert Chen",
        "Name is spelled Katelyn with a K", "Goes by Mo", "Changed their name to River",
        "Friends call them Bex", "Prefers Liz over Elizabeth", "Last name is Okafor",
        "Took their wife's last name", "Nickname is Tiny",
    ),
    "age": (
        "Is 34 years old", "Turned 30", "Age is 52", "Just hit forty",
        "Is in their late twenties", "Will be 18 next month",
        "Is turning 40 next week", "Just turned 25", "Is 19", "Is in their mid thirties",
        "Is pushing 60", "Hit the big three oh", "Is a teenager", "Is almost 50",
    ),
    "birthday": (
        "Birthday is on May 12", "Was born on 3 March", "Celebrates their birthday in June",
        "Birthday is next Tuesday", "Bday is in October", "Was born on Christmas Eve",
        "Turns a year older on the 4th of July", "Birthday falls on Halloween",
        "B-day is 12/03",
    ),
    "origin": (
        "Is originally from Lagos", "Comes from a small town in Ohio", "Grew up in Manila",
        "Was raised in the countryside", "Is Brazilian by birth",
        "Was born in Seoul", "Grew up on a farm in Iowa", "Is from Texas originally",
        "Is a Londoner born and raised", "Family is from Kerala",
        "Moved here from Poland as a kid", "Is half Mexican", "Spent their childhood in Nairobi",
        "Hometown is a small place in Wales",
    ),
    "home": (
        "Lives in Denver", "Moved to a new apartment in Lisbon", "Bought a house in Portland",
        "Is based in Chicago", "Lives in a flat downtown", "Rents a small apartment in Brooklyn",
        "Just got the keys to a place in Leeds", "Has been living in Austin since spring",
        "Relocated to the coast", "Found a cottage in the countryside and settled there",
        "Is out of the city now, living in the suburbs", "Calls Melbourne home these days",
        "Packed up and drove across the country to a new town", "Is renting a room in Madrid",
        "Lives with their parents again", "Settled in a small village near the sea",
        "The new place has a garden", "Bought a cabin up north and moved in",
        "Bought a place in Leeds and moved there", "Moved back home with mom and dad",
        "Lives in a tiny studio in Queens", "Finally moved out of the dorms",
        "Is renting a two bed flat with a mate", "Just moved to Berlin", "Now lives across town",
        "Signed a lease on a place in Oakland", "Moved in with roommates in Seattle",
        "Lives on a houseboat", "Lives out in the sticks", "Moved up north",
        "Moved to the other side of the city", "Home is a trailer outside Tulsa",
        "Shares a house with three other people", "Lives alone now",
        "Moved out of their parents house", "Is crashing at a friend's place for now",
        "Left Chicago for Phoenix", "Traded the city for a farmhouse",
        "New place is in Brooklyn", "Closed on a condo downtown", "Lives in Toronto now",
        "Lives a block from the beach", "Moved across the pond to London",
        "Lives in philly now", "Put down roots in a small town",
    ),
    "relationship": (
        "Is dating Marco", "Is married to Anna", "Has a girlfriend",
        "Broke up with their boyfriend", "Is single", "Is engaged to their partner",
        "Is seeing someone new", "Split with their husband", "Is back on the apps",
        "Moved in with their partner", "Has been with Lee for five years",
        "Got engaged over the weekend", "Is going out with a guy from work",
        "Is talking to someone", "Dumped her boyfriend", "Got dumped", "Is newly single",
        "Married their high school sweetheart", "Got hitched in Vegas", "Is divorced now",
        "Is separated from their wife", "Has a new girlfriend named Jess",
        "Is in a long distance relationship", "Ended things with Tom",
        "Broke off the engagement", "Went on a few dates with Sam", "Is happily married",
        "Is with Priya now", "Has been single for ages", "Is in an open relationship",
        "Got back together with their ex", "Is splitting up with their husband",
        "Boyfreind and them broke up",
    ),
    "family": (
        "Has a daughter named Mia", "Has two kids", "Has a younger brother",
        "Is expecting a baby", "Is an only child", "Has three grandchildren",
        "Has a baby boy", "Just had a baby girl", "Is a dad of three", "Has twin sisters",
        "Became a grandma", "Has an older sister", "Is the youngest of five", "Has a stepson",
        "Parents are divorced", "Adopted a little girl", "Is a mom of two", "Has no kids",
        "Has a son in college", "Is pregnant with their second",
    ),
    "pet": (
        "Has a dog named Rex", "Adopted a kitten", "Has two cats", "Gave their parrot away",
        "Has a beagle named Max", "Had to rehome their dog", "Got a rescue terrier",
        "Their old cat passed away", "Keeps a pair of guinea pigs", "Is fostering puppies",
        "Got a new pup", "Adopted a rescue mutt", "Has a tabby named Olive",
        "Had to have the old dog put to sleep", "Got a hamster for the kids", "Has a tank full of fish",
        "Has a bearded dragon", "Owns a horse", "Rehomed the rabbit", "Is a cat mom",
        "Has a dog and two cats", "Gave the dog to their parents",
        "Brought home a kitten from the shelter", "Lost their goldfish",
        "Keeps chickens in the backyard", "Pup is a lab mix", "The doggo is 12",
        "No longer has the parrot",
    ),
}
