"""Near misses: facts and chatter worded like an attribute's that set none.

Data only, for ``attributes.Prototypes``: they vote as one more group, and a fact nearest to
them gets no attribute ("Helped a friend move on Saturday" is no home, "Phone died at lunch"
no phone). Written for this module, never copied from an evaluation set.
"""

from __future__ import annotations

__all__ = ["NEAR_MISSES"]

NEAR_MISSES: tuple[str, ...] = (
    "Helped a friend move on Saturday", "Moved the couch into the spare room",
    "Drove to the beach for the day", "Had coffee with an old coworker",
    "Work was exhausting this week", "The commute was awful today",
    "Phone died halfway through the day", "Laptop froze during a meeting",
    "Watched a documentary about sharks", "Went to a concert last night",
    "Ate way too much pizza", "Loves the smell of rain", "Had a rough day",
    "Is tired all the time", "Is stressed about money", "Traffic was a nightmare",
    "Spilled coffee on the keyboard", "The dog barked all night",
    "Cat knocked a glass off the table", "Mom called about the holidays",
    "Dinner with the in-laws went fine", "Got a parking ticket", "Lost their keys again",
    "The neighbours are loud", "Is binge watching a show", "Read a good book on the train",
    "Took the day off", "Saw a movie with a friend", "Found a great taco place",
    "Needs a nap", "The weather is awful", "Is excited for the weekend",
    "Cleaned the whole apartment", "Painted the bedroom blue", "Ordered takeout again",
    "Had a weird dream", "Is running late", "Burned the toast", "Fixed the kitchen sink",
    "Waited an hour at the DMV", "Met a friend for lunch downtown", "Got stuck in the rain",
    "The flight got delayed", "Is proud of their sister", "Car alarm went off at 3am",
    "Boss was in a good mood today", "The train was packed this morning",
    "Binged a cooking show all weekend", "Laughed until they cried",
)
