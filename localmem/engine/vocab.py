"""The attribute vocabulary: keys, synonyms, single-valuedness, rule patterns and prototypes.

Data only; ``attributes.py`` holds the logic. A key is what a fact is about (``job``, ``home``,
``pet``); single-valued keys hold one value at a time, so a new value supersedes the old one.
Patterns run on the fact's predicate in lower case (the subject cut off), first match wins, so
the specific ones (an OS name) come before the broad ones (a laptop). Prototypes are short facts
in the stored form; the nearest one, by the configured embedder, names the attribute of a fact no
pattern recognises (see ``attributes.Prototypes``).
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Spec", "ATTRIBUTES", "SYNONYMS", "PATTERNS", "RELATIONS", "JOB_WORDS", "ENDING",
           "ADDITIVE", "CHANGE"]


@dataclass(frozen=True)
class Spec:
    single: bool
    prototypes: tuple[str, ...] = ()


def _p(*texts: str) -> tuple[str, ...]:
    return texts


ATTRIBUTES: dict[str, Spec] = {
    "name": Spec(True, _p("Name is Sam", "Goes by Dan", "Is called Maria by friends")),
    "age": Spec(True, _p("Is 34 years old", "Turned 30", "Age is 52")),
    "birthday": Spec(True, _p("Birthday is on May 12", "Was born on 3 March")),
    "home": Spec(True, _p("Lives in Denver", "Moved to a new apartment in Lisbon",
                          "Bought a house in Portland and moved there", "Is based in Chicago",
                          "Lives in a flat downtown")),
    "origin": Spec(True, _p("Is originally from Lagos", "Comes from a small town in Ohio")),
    "job": Spec(True, _p("Works as a nurse at the hospital", "Is a software engineer at Google",
                         "Got promoted to store manager", "Is the head chef at a restaurant",
                         "Started a new job as an accountant", "Left their job at the bank",
                         "Works at a startup")),
    "school": Spec(True, _p("Studies biology at the state university", "Is in college",
                            "Goes to Lincoln High School")),
    "relationship": Spec(True, _p("Is dating Marco", "Is married to Anna", "Has a girlfriend",
                                  "Broke up with their boyfriend", "Is single",
                                  "Is engaged to their partner")),
    "pet": Spec(False, _p("Has a dog named Rex", "Adopted a kitten", "Has two cats",
                          "Gave their parrot away")),
    "phone": Spec(True, _p("Uses an iPhone", "Switched to a Pixel phone", "Has a Samsung Galaxy")),
    "computer": Spec(True, _p("Uses a MacBook for work", "Has a gaming PC", "Bought a new laptop")),
    "device": Spec(False, _p("Reads on a Kindle", "Has an iPad", "Wears a smartwatch")),
    "os": Spec(True, _p("Uses Linux", "Runs Windows on their computer", "Switched to macOS")),
    "car": Spec(True, _p("Drives a Honda Civic", "Bought a Tesla", "Has a pickup truck",
                         "Sold their car")),
    "diet": Spec(True, _p("Is vegetarian", "Is vegan", "Follows a keto diet", "Is pescatarian")),
    "instrument": Spec(False, _p("Plays the guitar", "Is learning the piano", "Plays drums in a band")),
    "hobby": Spec(False, _p("Loves hiking", "Enjoys painting", "Plays soccer on weekends",
                            "Goes rock climbing", "Does yoga every morning")),
    "language": Spec(False, _p("Speaks Spanish", "Is learning Japanese", "Speaks French fluently")),
    "health": Spec(False, _p("Is allergic to peanuts", "Has asthma", "Broke their leg",
                             "Has diabetes", "Is pregnant")),
    "plan": Spec(False, _p("Is planning a trip to Japan", "Is going to Italy next summer",
                           "Plans to run a marathon", "Is getting married in June")),
    "family": Spec(False, _p("Has a daughter named Mia", "Has two kids", "Has a younger brother")),
    "sport_team": Spec(True, _p("Supports Arsenal", "Is a Lakers fan")),
}

# Other spellings of a key (a model's or a user's) -> the key.
SYNONYMS: dict[str, str] = {
    **{w: "job" for w in ("employer", "occupation", "work", "career", "profession", "position",
                          "role", "workplace", "company", "employment", "title", "job_title")},
    **{w: "home" for w in ("location", "city", "residence", "address", "lives", "home_city",
                           "living", "house", "apartment", "hometown_current", "where_lives")},
    **{w: "origin" for w in ("hometown", "birthplace", "nationality", "from")},
    **{w: "name" for w in ("first_name", "nickname", "full_name")},
    **{w: "relationship" for w in ("partner", "spouse", "dating", "marital_status", "wife",
                                   "husband", "girlfriend", "boyfriend", "relationship_status",
                                   "love_life", "marriage")},
    **{w: "pet" for w in ("pets", "animal", "animals", "dog", "cat")},
    **{w: "phone" for w in ("mobile", "cellphone", "smartphone", "cell_phone", "mobile_phone")},
    **{w: "computer" for w in ("laptop", "pc", "desktop", "notebook")},
    **{w: "device" for w in ("gadget", "tablet", "devices", "gadgets")},
    **{w: "os" for w in ("operating_system", "operatingsystem", "platform")},
    **{w: "car" for w in ("vehicle", "automobile", "cars", "truck")},
    **{w: "diet" for w in ("food_restriction", "dietary", "eating", "dietary_preference")},
    **{w: "instrument" for w in ("instruments", "music_instrument", "musical_instrument")},
    **{w: "hobby" for w in ("hobbies", "pastime", "interest", "interests", "activity", "sport",
                            "sports", "exercise")},
    **{w: "language" for w in ("languages", "spoken_language")},
    **{w: "health" for w in ("medical", "condition", "allergy", "allergies", "illness",
                             "injury", "medical_condition")},
    **{w: "plan" for w in ("plans", "trip", "travel", "event", "travel_plan", "goal")},
    **{w: "school" for w in ("education", "university", "college", "study", "studies", "major")},
    **{w: "family" for w in ("children", "kids", "child", "siblings", "parents")},
    **{w: "age" for w in ("years", "years_old")},
    **{w: "birthday" for w in ("birth_date", "birthdate", "date_of_birth")},
}

# Relations that can be the subject of a fact about someone else ("Sister Ana moved to Lisbon").
RELATIONS = """sister brother mom mother dad father wife husband partner girlfriend boyfriend
son daughter friend boss coworker colleague roommate cousin aunt uncle grandma grandmother grandpa
grandfather niece nephew fiance fiancee fiancé kid kids child children parents neighbor neighbour
dog cat puppy kitten baby sibling stepmom stepdad""".split()

JOB_WORDS = """nurse doctor teacher engineer developer programmer designer manager barista chef
waiter waitress bartender cashier accountant lawyer attorney pharmacist dentist therapist
electrician plumber carpenter mechanic pilot firefighter officer cop policeman soldier scientist
researcher professor lecturer tutor librarian analyst consultant architect journalist editor
photographer actor intern receptionist secretary clerk salesperson realtor banker
broker paramedic vet veterinarian surgeon physician caregiver nanny babysitter janitor farmer
baker butcher tailor hairdresser stylist barber coach trainer instructor supervisor director ceo
cto founder freelancer contractor technician administrator coordinator specialist counselor
psychologist lifeguard courier sysadmin dietitian midwife translator interpreter zookeeper
cleaner server foreman paralegal dispatcher bookkeeper auditor recruiter
marketer copywriter animator""".split()

# The patterns: (regex on the lower-cased predicate, key). {jobs} is replaced by JOB_WORDS.
PATTERNS: list[tuple[str, str]] = [
    (r"^(name is|goes by|is called|is named)\b|^name'?s\b", "name"),
    (r"^(is \d{1,3}( years old)?|age is \d+|turned \d{1,3})\b(?! (?:years )?(?:ago|times))", "age"),
    (r"^birthday is\b|^was born on\b", "birthday"),
    (r"^(is|comes) (originally )?from\b", "origin"),
    (r"\b(linux|ubuntu|fedora|debian|arch linux|linux mint|macos|mac os|os x|windows \d+|windows|"
     r"chromeos|chrome os|freebsd|pop!?_os)\b", "os"),
    (r"\b(iphone|pixel \d|pixel phone|google pixel|galaxy s\d+|samsung galaxy|oneplus|motorola|"
     r"android phone|smartphone|flip phone|new phone|(?:their|a|an|the) phone)\b", "phone"),
    (r"\b(macbook|thinkpad|chromebook|laptop|imac|gaming pc|desktop pc|desktop computer|"
     r"(?:their|a|an|the|new) (?:pc|computer))\b", "computer"),
    (r"\b(kindle|ipad|tablet|smartwatch|apple watch|e-reader|playstation|xbox|nintendo switch)\b",
     "device"),
    (r"\b(vegan|vegetarian|pescatarian|keto|paleo|plant-based|flexitarian|carnivore diet|"
     r"omnivore|gluten-free|dairy-free|(?:eats|eating) (?:meat|fish) again)\b", "diet"),
    (r"^(is (married|engaged) to|is dating|is seeing|is single|is divorced|is separated|"
     r"is in a relationship|wife is|husband is|partner is|girlfriend is|boyfriend is|"
     r"fianc[eé]e? is|has a (girlfriend|boyfriend|partner|wife|husband|fianc[eé]e?)\b)|"
     r"\b(broke up|split up|got divorced|got married|got engaged|separated from)\b", "relationship"),
    (r"\b(drives|drove|driving|bought|got|owns|has|leased|sold|traded in) (a|an|their|the|my)"
     r"( \w+){0,3} (car|truck|suv|van|honda|toyota|tesla|ford|bmw|audi|subaru|volkswagen|vw|"
     r"mazda|nissan|hyundai|kia|jeep|chevy|chevrolet|volvo|prius|civic|corolla|model [3sxy])\b"
     r"|^drives (a|an)\b", "car"),
    (r"\b(plays|playing|play|learning|learned|took up|picked up|practicing|practices) (the )?"
     r"(piano|guitar|violin|cello|drums|bass|ukulele|saxophone|sax|flute|trumpet|clarinet|harp|"
     r"banjo|keyboard|viola|trombone|harmonica|accordion|mandolin)\b", "instrument"),
    (r"\b(speaks|speak|learning|learned|studying|fluent in) (some |a little |fluent )?"
     r"(english|spanish|french|german|italian|portuguese|japanese|chinese|mandarin|cantonese|"
     r"korean|arabic|hindi|russian|dutch|swedish|polish|turkish|greek|hebrew|urdu|bengali|"
     r"vietnamese|thai|tagalog|swahili|persian|farsi)\b", "language"),
    (r"^(works?( [\w-]+){0,2} (as|at|for|in)|is working (as|at|for)|got (a )?(new )?job|started (a )?(new )?job|"
     r"got promoted|was promoted|got hired|was hired|is employed|is self-employed|is unemployed|"
     r"lost their job|got laid off|was laid off|got fired|was fired|retired|is retired|"
     r"(quit|left|resigned from) (their )?(job|work|position))\b", "job"),
    (r"^(is|became|is now|was promoted to|got promoted to) (a|an|the)( [\w-]+){0,3} ({jobs})s?\b",
     "job"),
    (r"^favou?rite (\w+) (is|are)\b", "favourite"),
    (r"\b(allergic|allergy|diabetes|diabetic|asthma|pregnant|injured|surgery|migraines?|"
     r"broke (their|a) (leg|arm|wrist|ankle))\b", "health"),
    (r"\b(has|have|adopted|got|owns|lost|rehomed|gave away) (a |an |two |three |their |another )?"
     r"(\w+ )?(dog|cat|puppy|kitten|parrot|hamster|rabbit|bunny|goldfish|turtle|snake|horse|"
     r"guinea pig|pets?)s?\b|\b(dog|cat|puppy|kitten) (died|passed away)\b", "pet"),
    (r"^(studies|is studying|is a student|attends|goes to [\w ]*(school|college|university)|"
     r"started (college|university|grad school|high school|school))\b",
     "school"),
    (r"^(lives|is living|resides|is based|is staying|now lives|still lives) in\b|"
     r"^(moved|relocated) (back )?(to|into)\b", "home"),
    (r"^(is planning|plans|is going to go|is hoping to go|is saving for|is booking)\b|"
     r"\b(trip|vacation|holiday) (to|in)\b|\btrip is\b", "plan"),
]

# A fact says something stopped ("anymore", "split up", "the trip is off").
ENDING = (
    r"\b(no longer|anymore|any more|broke up|split up|got divorced|separated|quit|left|resigned|"
    r"retired|laid off|got fired|was fired|sold|gave away|gave up|rehomed|passed away|died|"
    r"(?:is|are|was|got) off|(?:is|was|got|been) cancell?ed|called off|fell through|stopped|"
    r"ended|lost their job|moved out)\b"
)
# ... and something new replaced an old value ("switched to", "now", "these days").
CHANGE = (
    r"\b(now|switched|changed|new|these days|nowadays|instead|promoted|became|upgraded|"
    r"replaced|bought|got a|finally|moved|relocated|started|took over|traded|converted|"
    r"prefers? \w+(?: \w+)? (over|to|rather than))\b"
)
# ... or adds a value next to the old ones ("also", "a second job").
ADDITIVE = r"\b(also|too|as well|another|second|side (job|gig|hustle)|on the side|plus)\b"
