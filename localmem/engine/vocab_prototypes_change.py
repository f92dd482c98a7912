"""Prototype facts that say a single-valued attribute changed, in everyday wording.

Data only, merged into ``vocab_prototypes.PROTOTYPES`` next to each key's plain prototypes.
Written from ordinary English, not from the evaluation set: the new value said without the
attribute's name ("Is the store manager now", "We closed on a place in Leeds"), a switch, a
start, a leaving, a break-up, with the slang and the comments people add. A new value must meet
the old fact's attribute however it is phrased, or both stay current.
"""

from __future__ import annotations

__all__ = ["CHANGES"]

CHANGES: dict[str, tuple[str, ...]] = {
    "job": (
        "Is the store manager now", "Got bumped up to team lead", "Is running the kitchen now",
        "Got the senior title at last", "Is head of sales as of this month",
        "Was made shift supervisor", "Is charge nurse now", "Moved up to assistant manager",
        "Got poached by a competitor", "Took a job at a startup", "Starts at the hospital Monday",
        "Got hired by a tech company", "Joined a consulting firm", "Jumped ship to a rival firm",
        "Handed in their notice", "Walked away from the corporate job", "Got let go from work",
        "Is done with the restaurant job", "Stepped down as manager", "Left the bank for good",
        "Resigned last week", "Last shift at the store was yesterday", "Went back to work part time",
        "Is a stay at home parent", "Drives trucks for a living now", "Left the police force",
        "Is a realtor now", "Went from teaching to software", "Is doing UX design now",
        "Is back at the old company", "Took the offer from the bank", "Got the job!",
        "Is officially a manager", "Is in charge of the team now", "Got a raise and a new title",
        "Works at a different company now", "Changed careers to nursing",
        "Retrained as an electrician", "Is the boss now", "Does deliveries for a living",
    ),
    "home": (
        "Closed on a house in the suburbs", "Got the keys to a new apartment",
        "Signed a lease on a two bedroom downtown", "Is in a new place across town",
        "Bought a house and moved there in spring", "Packed up and went back home to Ohio",
        "Has been in the new city since March", "Ended up buying a place out west",
        "Relocated for their partner's job", "Is unpacking boxes in the new flat",
        "Found a cottage in the countryside", "Moved back in with their parents",
        "Got their own place finally", "Is renting a room across the river now",
        "Lives by the beach now", "First week in the new house", "Left the city for a small town",
        "Is settling into the new neighborhood", "Went home to be near family",
        "Swapped the city for the coast",
    ),
    "relationship": (
        "Broke things off with their boyfriend", "Ended things with their girlfriend",
        "Is not together with their partner anymore", "Split with their husband",
        "Parted ways with their fiance", "Is single again", "Got dumped last week",
        "Is seeing someone new", "Has a girlfriend now", "Got back together with their ex",
        "The divorce is final", "Separated from their wife", "Is getting divorced",
        "Went on a few dates with someone from work", "Is officially in a relationship",
        "Their partner moved out and it's over", "Is engaged now", "Got married last weekend",
        "They went their separate ways", "Is done with dating for a while",
    ),
    "phone": (
        "Switched to a new phone brand", "Ditched the old phone for a new one",
        "Is an iPhone person now", "Is team Android now", "Got a Galaxy to replace the iPhone",
        "Finally caved and got a smartphone", "The new Pixel came in the mail",
        "Moved over to a OnePlus", "Upgraded to the latest iPhone", "Traded the flip phone in",
    ),
    "computer": (
        "Built a gaming PC and retired the Mac", "Switched to a Mac mini for editing",
        "Upgraded to a ThinkPad", "Got a new laptop for school", "Is on a MacBook Pro now",
        "Replaced the old Dell with a Lenovo", "The old laptop died so got a new one",
        "Went from a desktop to a laptop",
    ),
    "os": (
        "Made the jump to Linux", "Put Ubuntu on the laptop", "Went back to Windows for games",
        "Is on Linux full time now", "Switched the desktop to Fedora", "Moved to a Mac from Windows",
        "Wiped Windows and installed Pop OS", "Uses Mint on the old laptop now",
        "Gave up on Linux", "Is running macOS now",
    ),
    "diet": (
        "Went vegan in January", "Eats chicken again", "Started eating fish again",
        "Cut out meat completely", "Gave up on the keto thing", "Stopped the fasting",
        "Is plant-based now", "Eats meat again after years", "Is off dairy now",
        "Quit sugar", "Is doing low carb now", "Dropped the diet", "Went back to eating normally",
        "Is eating cheese again", "Cut out gluten", "Is doing the mediterranean diet",
    ),
    "drink": (
        "Prefers tea over coffee these days", "Switched over to green tea", "Is all about matcha",
        "Is more into wine than beer now", "Quit coffee", "Gave up soda",
        "Drinks decaf now", "Only drinks water now", "Stopped drinking alcohol",
        "Has been sober for a year", "Is off caffeine", "Swapped coffee for tea",
    ),
    "smoking": (
        "Is six months smoke free", "Kicked the habit", "Quit smoking cold turkey",
        "Switched from cigarettes to vaping", "Started smoking again", "Is an ex smoker",
        "Has not had a cigarette in weeks", "Is nicotine free now",
    ),
    "car": (
        "Traded the Civic in for a truck", "Sold the car and bikes everywhere",
        "Picked up a used SUV", "Upgraded to an electric car", "Got a new car",
        "Ditched the old car for a hybrid", "Is driving a Tesla now", "Leased a new Honda",
    ),
    "school": (
        "Switched major to computer science", "Transferred to a different university",
        "Dropped out of college", "Graduated last spring", "Started grad school",
        "Is doing a master's now", "Changed programs to nursing", "Went back to school",
    ),
    "work_setup": (
        "Got called back into the office", "Is fully remote now", "Company forced everyone back",
        "Works from home three days a week now", "Went hybrid", "Is in the office every day now",
        "Switched to the night shift", "Got moved to day shift",
    ),
    "commute": (
        "Bikes to work now", "Drives in now", "Takes the train in these days",
        "Walks to work since the move", "Started carpooling with a coworker",
        "Gave up driving to work", "Takes the bus now",
    ),
    "chronotype": (
        "Has turned into a morning person", "Is up at 5am every day now",
        "Is a night owl again", "Goes to bed early these days", "Became an early riser",
    ),
    "sport_team": (
        "Roots for a different team now", "Switched allegiances to the Celtics",
        "Supports Arsenal now", "Gave up on their old team", "Is a Yankees fan these days",
    ),
}
