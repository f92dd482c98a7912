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

__all__ = ["Spec", "ATTRIBUTES", "SYNONYMS", "PATTERNS", "CASED_PATTERNS", "RELATIONS",
           "JOB_WORDS", "ENDING", "ADDITIVE", "CHANGE", "HYPOTHETICAL", "REPLACED"]


@dataclass(frozen=True)
class Spec:
    single: bool  # one value at a time: a new value supersedes the old


ATTRIBUTES: dict[str, Spec] = {  # prototypes: engine/vocab_prototypes.py
    **{k: Spec(True) for k in """name age birthday home origin job school relationship phone
        computer os car diet sport_team chronotype work_setup drink smoking commute""".split()},
    **{k: Spec(False) for k in "pet device instrument hobby language health plan family".split()},
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
    **{w: "hobby" for w in ("hobbies", "pastime", "interest", "interests", "activity")},
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

JOB_WORDS = """nurse doctor teacher engineer developer programmer designer manager barista chef cook
waiter waitress bartender cashier accountant lawyer attorney pharmacist dentist therapist
electrician plumber carpenter mechanic pilot firefighter officer cop policeman soldier scientist
researcher professor lecturer tutor librarian analyst consultant architect journalist editor
photographer actor intern receptionist secretary clerk salesperson realtor banker
broker paramedic vet veterinarian surgeon physician caregiver nanny babysitter janitor farmer
baker butcher tailor hairdresser stylist barber coach trainer instructor supervisor director ceo
cto founder freelancer contractor technician administrator coordinator specialist counselor
psychologist lifeguard courier sysadmin dietitian midwife translator interpreter zookeeper
cleaner server foreman paralegal dispatcher bookkeeper auditor recruiter
marketer copywriter animator teller agent cashier
hygienist trucker operator welder machinist roofer landscaper gardener
housekeeper concierge dishwasher sommelier associate representative rep dev swe
tester statistician economist actuary underwriter adjuster cfo coo vp principal headteacher dean
pastor priest chaplain caseworker guard bouncer ranger warden inspector detective sheriff deputy
trooper marine sailor medic emt optometrist optician chiropractor physio physiotherapist
radiologist sonographer phlebotomist orthodontist pediatrician postdoc handyman
bricklayer mason locksmith seamstress florist jeweler grocer stocker merchandiser
scheduler estimator surveyor drafter geologist chemist biologist physicist youtuber streamer
influencer author novelist screenwriter producer dj illustrator
referee umpire realtor""".split()
JOB_WORDS = list(dict.fromkeys(JOB_WORDS))

_PETS = (r"dog|cat|puppy|kitten|parrot|hamster|rabbit|bunny|goldfish|fish|turtle|snake|horse|"
         r"guinea pig|gecko|lizard|budgie|pets?")
_INSTRUMENTS = (r"piano|guitar|violin|cello|drums|bass|ukulele|saxophone|sax|flute|trumpet|"
                r"clarinet|harp|banjo|keyboard|viola|trombone|harmonica|accordion|mandolin")
_LANGUAGES = (r"english|spanish|french|german|italian|portuguese|japanese|chinese|mandarin|"
              r"cantonese|korean|arabic|hindi|russian|dutch|swedish|polish|turkish|greek|hebrew|"
              r"urdu|bengali|vietnamese|thai|tagalog|swahili|persian|farsi|asl|sign language")
_CARS = (r"car|truck|suv|van|honda|toyota|tesla|ford|bmw|audi|subaru|volkswagen|vw|mazda|nissan|"
         r"hyundai|kia|jeep|chevy|chevrolet|volvo|prius|civic|corolla|camry|mustang|model [3sxy]|"
         r"minivan|motorbike|motorcycle|scooter")
_HOMES = r"house|home|place|apartment|flat|condo|one bedroom|two bedroom|studio|townhouse|bungalow"
_SCHOOLS = (r"law school|med school|medical school|grad school|high school|college|university|uni|"
            r"bootcamp|boot camp|masters|master's|phd|degree|semester|freshman|sophomore")

# Patterns on the predicate as written (capitals matter: "Is in Melbourne" is a place).
CASED_PATTERNS: list[tuple[str, str]] = [
    (r"^(?i:quit|left|resigned from|stopped working (?:at|for)|handed in (?:their|my) notice at) "
     r"[A-Z]", "job"),
    # an employer by name, whatever the verb: "Got poached by Meta", "Starts at Stripe Monday"
    (r"\b(?i:joined|joining|starting at|starts at|start at|started at|poached by|hired by|"
     r"hired at|an offer from|working for|works for|work for|walked away from|let go from|"
     r"laid off from|last (?:day|shift|week) at|first (?:day|week) at|interning at) "
     r"(?!(?i:home|school|college|university|the gym|the moment|night|the end|least|first))"
     r"(?:the )?[A-Z]", "job"),
    (r"^(?i:is (?:now |still )?at) [A-Z][\w&.-]*(?: [A-Z][\w&.-]*)?(?i: now)?$", "job"),
    (r"^(?i:(?:is |are )?(?:back |now |still |currently |finally )?(?:in|living in|based in|"
     r"home in|settled in)) [A-Z]", "home"),
    (r"^(?i:(?:is|are) (?:going|heading|flying|travell?ing|off|driving) to|is visiting) [A-Z]",
     "plan"),
]

# Patterns on the lower-cased predicate: (regex, key); {jobs} is replaced by JOB_WORDS.
PATTERNS: list[tuple[str, str]] = [
    (r"^(name is|goes by|is called|is named)\b|^name'?s\b", "name"),
    (r"^(is \d{1,3}( years old)?|age is \d+|turned \d{1,3})\b(?! (?:years )?(?:ago|times))", "age"),
    (r"^birthday is\b|^was born on\b", "birthday"),
    (r"^(is|comes) (originally )?from\b", "origin"),
    (r"\b(linux|ubuntu|fedora|debian|arch linux|linux mint|macos|mac os|os x|windows \d+|windows|"
     r"manjaro|(?:runs|running|on|to|uses|using|installed) mint|pop ?os|elementary os|kubuntu|"
     r"opensuse|arch btw|(?:on|to) arch|"
     r"(?:a|the|on) mac|"
     r"chromeos|chrome os|freebsd|pop!?_os)\b", "os"),
    (r"\b(iphone|pixel \d\w*|pixel phone|google pixel|galaxy [saz]\d+|samsung galaxy|oneplus|"
     r"motorola|xiaomi|huawei|nokia|galaxy|iphones?|pixel|samsung phone|blackberry|"
     r"android phone|smartphone|flip phone|new phone|(?:their|a|an|the) phone)\b", "phone"),
    (r"\b(macbook|thinkpad|chromebook|laptop|imac|gaming pc|desktop pc|desktop computer|"
     r"dell xps|dell|lenovo|alienware|surface pro|surface laptop|"
     r"(?:their|a|an|the|new) (?:pc|computer))\b", "computer"),
    (r"\b(kindle|ipad|tablet|smartwatch|apple watch|e-reader|playstation|xbox|nintendo switch)\b",
     "device"),
    (r"\b(vegan|vegetarian|pescatarian|keto|paleo|plant-based|flexitarian|carnivore diet|"
     r"omnivore|gluten-free|dairy-free|intermittent fasting|low[- ]carb|mediterranean diet|"
     r"whole30|atkins|raw food|(?:cut|cutting) out (?:meat|dairy|carbs|sugar|gluten)|"
     r"(?:eats|eating|eat) (?:meat|fish|chicken|dairy|cheese|eggs)|fasting|diet\b|"
     r"(?:eats|eating|eat) (?:meat|fish|chicken|pork|beef|dairy|eggs|seafood|red meat) again|"
     r"(?:stopped|quit|gave up) eating (?:meat|fish|chicken|pork|beef|dairy|eggs|seafood))\b",
     "diet"),
    (r"^(is (married|engaged) to|is dating|is seeing|has been seeing|started seeing|"
     r"(has )?been dating|is single|is divorced|is separated|is in a relationship|wife is|"
     r"husband is|partner is|girlfriend is|boyfriend is|fianc[eé]e? is|"
     r"has a (girlfriend|boyfriend|partner|wife|husband|fianc[eé]e?)\b)|"
     r"\b(broke up|split up|got divorced|got married|got engaged|separated from|"
     r"called it quits|getting divorced|getting a divorce|filed for divorce|dumped|"
     r"broke (?:things |it )?off with|ended things with|parted ways with|separate ways|"
     r"(?:are|aren't|are not|not) together (?:anymore|any more)|seeing someone|dating someone|"
     r"the divorce|single again)\b|^(?:got )?separated\b|^(?:is |are )?together with \w+ (?:anymore|any more)",
     "relationship"),
    (rf"\b(drives|drove|driving|bought|got|got rid of|owns|has|leased|leasing|leases|sold|"
     rf"traded in|ditched|picked up|purchased) (a|an|their|the|my)( \w+){{0,3}} ({_CARS})\b|"
     rf"^drives (a|an)\b", "car"),
    (rf"\b(plays|playing|play|learning|learned|took up|picked up|practicing|practices|switched to|"
     rf"started|stopped|quit|gave up) (the )?({_INSTRUMENTS})\b", "instrument"),
    (rf"\b(speaks|speak|learning|learned|studying|fluent in|doing|stopped|quit|gave up|dropped|"
     rf"switched to|started) (some |a little |fluent )?({_LANGUAGES})\b", "language"),
    (r"\b(works? from home|wfh|remote work|works remotely|in the office|hybrid schedule|"
     r"(?:went|is|are|going|gone) (?:fully |partly |partially )?remote|"
     r"(?:night|day|morning|evening|graveyard|late|early) shifts?|"
     r"back in the office|commutes?)\b", "work_setup"),
    (r"^(works?( [\w-]+){0,2} (as|at|for|in)|(is|has been|have been|been) working (as|at|for)|"
     r"got (a |an )?(new )?(job|internship|position|gig|role)|"
     r"started (a |their )?(new )?(job|gig|role|position)|new (job|gig|role|position) as|"
     r"got promoted|was promoted|got hired|was hired|is employed|is self-employed|is unemployed|"
     r"freelancing|is freelancing|lost their job|got laid off|was laid off|got fired|was fired|"
     r"retired|is retired|handed in (their|a) notice|put in (their|my|a) (two weeks|notice)|"
     r"gave (their|my) (two weeks|notice)|two weeks'? notice|"
     r"(quit|left|resigned from) (their |her |his )?(job|work|position|practice|firm|company)|"
     r"quit (the|their|her|his) \w+$)\b",
     "job"),
    (r"^(is|became|is now|has been|was promoted to|got promoted to|was made|made (them|me)) (a |an |the )?"
     r"([\w-]+ ){0,3}({jobs})s?\b|\b(they|them|boss|manager) (made|bumped|promoted|moved|hired) "
     r"(them|me)( up)?( to| as)? ([\w-]+ ){0,2}({jobs})\b", "job"),
    (r"\b(night owl|morning person|early bird|early riser|night person)\b", "chronotype"),
    (r"^favou?rite (\w+)(?: [\w ]+?)? (is|are)\b", "favourite"),
    (r"\b(allergic|allergy|diabetes|diabetic|asthma|pregnant|injured|surgery|migraines?|"
     r"cholesterol|blood pressure|blood sugar|anemi[ac]|back pain|arthritis|insomnia|knees?|"
     r"broke (their|a) (leg|arm|wrist|ankle))\b", "health"),
    (rf"\b(has|have|adopted|got|owns|lost|rehomed|gave away) (a |an |two |three |their |another )?"
     rf"(\w+ )?({_PETS})s?\b|^(their |the )?({_PETS}) [a-z]|\b({_PETS}) (died|passed away)\b",
     "pet"),
    (rf"^(studies|is studying|is a student|attends|goes to [\w ]*(school|college|university)|"
     rf"started (college|university|grad school|high school|school))\b|\b({_SCHOOLS})\b",
     "school"),
    (rf"^(lives|is living|resides|is based|is staying|now lives|still lives) in\b|"
     rf"^(moved|relocated) (back )?(to|into)\b|\bmoved in with\b|"
     rf"^(rents|is renting|owns|bought|closed on|"
     rf"moved into|lives in) (a|an|their|the)( [\w-]+){{0,3}} ({_HOMES})\b", "home"),
    (r"^(is planning|plans|is going to go|is hoping to go|is saving for|is booking)\b|"
     r"\b(trip|vacation|holiday) (to|in)\b|\b(trip|vacation|holiday) (is|was|got)\b|"
     r"\bthe \w+ trip\b", "plan"),
    # a car named by its make alone, last: "Works at Tesla" is a job, "The Camry is a tank" a car
    (r"\b(honda|toyota|subaru|mazda|nissan|hyundai|kia|chevy|chevrolet|volvo|prius|civic|"
     r"corolla|camry|accord|mustang|daily driver)\b", "car"),
]

# A fact says something stopped ("anymore", "split up", "the trip is off").
ENDING = (
    r"\b(no longer|anymore|any more|broke up|split up|got divorced|separated|quit|left|resigned|"
    r"retired|laid off|got fired|was fired|sold|gave away|gave up|rehomed|passed away|died|"
    r"(?:is|are|was|got) off|(?:is|was|got|been) cancell?ed|called off|fell through|stopped|"
    r"ended|lost their job|moved out|handed in (?:their|my|a) notice|last day|got rid of|"
    r"rehomed?|rehoming|(?:isn't|is not|aren't|are not|won't be) happening|called it quits|"
    r"calling it quits|scrapped|scrapping|bailed on|backed out of|pulled out of|postponed|"
    r"getting divorced|getting a divorce|filed for divorce|graduated|dumped|"
    r"put in (?:my|their|a) (?:two weeks|notice)|gave (?:my|their) notice|said goodbye to|"
    r"(?:is|was) over|wrapped up|"
    r"getting rid of|dropped out|hung up|without \w+ing|no more|came off|healed|recovered|"
    r"is over|got better|cleared up|put (?:\w+ )?down|went to live with|"
    r"found (?:\w+ )?a new home|"
    # written from English at large, not from the set: how people say a thing stopped
    r"broke (?:things |it )?off|ended things|ended it|parted ways|went (?:our|their) separate ways|"
    r"(?:are|aren't|are not|is not|isn't|not) together anymore|we're done|walked away from|"
    r"let go from|got let go|was let go|stepped down|moved on from|done with|kicked the habit|"
    r"(?:smoke|alcohol|nicotine|vape)[- ]free|sober|clean for|uninstalled|"
    r"ditched|cut out|gave notice|turned in (?:my|their) notice|last (?:shift|week) at|"
    r"split from|divorced|"
    r"(?:is|are|was) (?:an? )?ex)\b"
)
# ... and something new replaced an old value ("switched to", "now", "these days").
CHANGE = (
    r"\b(now|switched|changed|new|these days|nowadays|instead|promoted|became|upgraded|"
    r"replaced|bought|got a|finally|moved|relocated|started|took over|traded|converted|"
    r"prefers? \w+(?: \w+)? (over|to|rather than)|"
    # ... in the many other ways people say it
    r"lately|as of|went back to|back to|made the (?:jump|switch|move)|jumped ship|"
    r"poached|ditched|swapped|(?:went|gone|going) (?:fully )?(?:vegan|vegetarian|freelance|remote|"
    r"plant-based|keto|pescatarian)|"
    r"all about|more into|turned into|transferred|signed (?:a|the) lease|closed on|"
    r"landed|took (?:a|the) (?:job|position|role|offer)|got hired|hired|joined|starting at|"
    r"starts at|start at|first (?:day|week|month) (?:at|in|as)|got the keys|ended up|"
    r"is the \w+(?: \w+)? now|upgraded|caved)\b"
)
# ... or adds a value next to the old ones ("also", "a second job").
ADDITIVE = (  # "too" / "as well" closing a clause ("way too much paperwork" adds nothing)
    r"\b(also|another|second|side (job|gig|hustle)|on the side)\b"
    r"|\b(?:too|as well)\b\s*(?:[,.;!?)]|$)"
)
# ... or only might happen ("Might get a Tesla one day"): it never replaces a value.
HYPOTHETICAL = (
    r"\b(might|may|maybe|someday|some day|one day|if|would like to|would love to|wants? to|"
    r"hoping to|hopes to|thinking about|thinking of|considering|dreams? of|could)\b"
)
# ... or names the value it replaced: "Swims instead of running", "switched from tea to coffee".
REPLACED = (
    r"\b(?:instead of|rather than|in place of) ([\w' -]+?)(?: now| these days| anymore)?(?:[,.;!]|$)"
    r"|\b(?:switched|moved|changed|went) from ([\w' -]+?) to\b"
    r"|\breplaced ([\w' -]+?) with\b|\btraded (?:in )?([\w' -]+?) for\b"
)
