"""Small embedded word lists the demo CRM data is built from.

Everything here is a plain tuple so the generator can turn it into a numpy array once and
pick from it by index (vectorized), instead of formatting strings row by row.
"""

from __future__ import annotations

import unicodedata

# (display, ascii used in email addresses). Unicode and apostrophe names are part of the
# mix on purpose: they must survive the whole pipeline.
FIRST_NAMES: tuple[tuple[str, str], ...] = (
    ("James", "james"), ("Mary", "mary"), ("Robert", "robert"), ("Patricia", "patricia"),
    ("John", "john"), ("Jennifer", "jennifer"), ("Michael", "michael"), ("Linda", "linda"),
    ("David", "david"), ("Elizabeth", "elizabeth"), ("William", "william"), ("Barbara", "barbara"),
    ("Richard", "richard"), ("Susan", "susan"), ("Joseph", "joseph"), ("Jessica", "jessica"),
    ("Thomas", "thomas"), ("Sarah", "sarah"), ("Christopher", "christopher"), ("Karen", "karen"),
    ("Daniel", "daniel"), ("Lisa", "lisa"), ("Matthew", "matthew"), ("Nancy", "nancy"),
    ("Anthony", "anthony"), ("Sandra", "sandra"), ("Mark", "mark"), ("Ashley", "ashley"),
    ("Steven", "steven"), ("Emily", "emily"), ("Andrew", "andrew"), ("Michelle", "michelle"),
    ("Joshua", "joshua"), ("Amanda", "amanda"), ("Kevin", "kevin"), ("Melissa", "melissa"),
    ("Brian", "brian"), ("Stephanie", "stephanie"), ("Ryan", "ryan"), ("Rebecca", "rebecca"),
    ("Jacob", "jacob"), ("Laura", "laura"), ("Nicholas", "nicholas"), ("Rachel", "rachel"),
    ("Eric", "eric"), ("Olivia", "olivia"), ("Jonathan", "jonathan"), ("Emma", "emma"),
    ("Samuel", "samuel"), ("Hannah", "hannah"), ("Priya", "priya"), ("Rahul", "rahul"),
    ("Ananya", "ananya"), ("Arjun", "arjun"), ("Wei", "wei"), ("Mei", "mei"), ("Hiroshi", "hiroshi"),
    ("Yuki", "yuki"), ("Min-jun", "minjun"), ("Ji-woo", "jiwoo"), ("Lucas", "lucas"),
    ("Sofia", "sofia"), ("Mateo", "mateo"), ("Valentina", "valentina"), ("Diego", "diego"),
    ("Camila", "camila"), ("Lars", "lars"), ("Ingrid", "ingrid"), ("Sven", "sven"),
    ("Freja", "freja"), ("Pierre", "pierre"), ("Camille", "camille"), ("Hans", "hans"),
    ("Greta", "greta"), ("Pieter", "pieter"), ("Femke", "femke"), ("Giulia", "giulia"),
    ("Marco", "marco"), ("Aoife", "aoife"), ("Liam", "liam"), ("Fatima", "fatima"),
    ("Omar", "omar"), ("Noah", "noah"), ("Chloe", "chloe"), ("Ethan", "ethan"), ("Grace", "grace"),
    # unicode first names
    ("José", "jose"), ("Zoë", "zoe"), ("Łukasz", "lukasz"), ("Siobhán", "siobhan"),
    ("François", "francois"), ("Søren", "soren"), ("Björn", "bjorn"), ("Renée", "renee"),
    ("Ines", "ines"), ("Małgorzata", "malgorzata"), ("雷", "lei"), ("伟", "wei"), ("芳", "fang"),
    ("Çağla", "cagla"), ("Ðorđe", "dorde"),
)  # fmt: skip

LAST_NAMES: tuple[tuple[str, str], ...] = (
    ("Smith", "smith"), ("Johnson", "johnson"), ("Williams", "williams"), ("Brown", "brown"),
    ("Jones", "jones"), ("Garcia", "garcia"), ("Miller", "miller"), ("Davis", "davis"),
    ("Rodriguez", "rodriguez"), ("Martinez", "martinez"), ("Hernandez", "hernandez"),
    ("Lopez", "lopez"), ("Gonzalez", "gonzalez"), ("Wilson", "wilson"), ("Anderson", "anderson"),
    ("Thomas", "thomas"), ("Taylor", "taylor"), ("Moore", "moore"), ("Jackson", "jackson"),
    ("Martin", "martin"), ("Lee", "lee"), ("Perez", "perez"), ("Thompson", "thompson"),
    ("White", "white"), ("Harris", "harris"), ("Sanchez", "sanchez"), ("Clark", "clark"),
    ("Ramirez", "ramirez"), ("Lewis", "lewis"), ("Robinson", "robinson"), ("Walker", "walker"),
    ("Young", "young"), ("Allen", "allen"), ("King", "king"), ("Wright", "wright"),
    ("Scott", "scott"), ("Torres", "torres"), ("Nguyen", "nguyen"), ("Hill", "hill"),
    ("Flores", "flores"), ("Green", "green"), ("Adams", "adams"), ("Nelson", "nelson"),
    ("Baker", "baker"), ("Hall", "hall"), ("Rivera", "rivera"), ("Campbell", "campbell"),
    ("Mitchell", "mitchell"), ("Carter", "carter"), ("Roberts", "roberts"), ("Patel", "patel"),
    ("Sharma", "sharma"), ("Gupta", "gupta"), ("Chen", "chen"), ("Wang", "wang"), ("Kim", "kim"),
    ("Park", "park"), ("Tanaka", "tanaka"), ("Sato", "sato"), ("Schmidt", "schmidt"),
    ("Schneider", "schneider"), ("Fischer", "fischer"), ("Weber", "weber"), ("Dubois", "dubois"),
    ("Laurent", "laurent"), ("Rossi", "rossi"), ("Bianchi", "bianchi"), ("Jansen", "jansen"),
    ("de Vries", "devries"), ("van der Berg", "vanderberg"), ("Johansson", "johansson"),
    ("Larsen", "larsen"), ("Murphy", "murphy"), ("Kelly", "kelly"), ("Silva", "silva"),
    ("Santos", "santos"), ("Oliveira", "oliveira"), ("Kowalski", "kowalski"),
    ("Kowalczyk", "kowalczyk"), ("Novak", "novak"), ("Cohen", "cohen"), ("Haddad", "haddad"),
    # unicode and apostrophe last names
    ("Müller", "muller"), ("Ångström", "angstrom"), ("O'Brien", "obrien"),
    ("O'Connor", "oconnor"), ("D'Angelo", "dangelo"), ("Núñez", "nunez"), ("Gómez", "gomez"),
    ("Østergaard", "ostergaard"), ("Wójcik", "wojcik"), ("Šimić", "simic"), ("Yılmaz", "yilmaz"),  # noqa: RUF001
    ("李", "li"), ("王", "wang"), ("张", "zhang"), ("Lefèvre", "lefevre"),
)  # fmt: skip

# (title, category). The category steers which contact role a person plays on a deal.
TITLES: tuple[tuple[str, str], ...] = (
    ("CEO", "exec"), ("Founder & CEO", "exec"), ("COO", "exec"), ("Chief Revenue Officer", "exec"),
    ("CFO", "finance"), ("VP of Finance", "finance"), ("Controller", "finance"),
    ("Head of Procurement", "finance"), ("Procurement Manager", "finance"),
    ("CTO", "technical"), ("VP of Engineering", "technical"), ("Director of IT", "technical"),
    ("IT Manager", "technical"), ("Solutions Architect", "technical"),
    ("Head of Data", "technical"), ("Senior Software Engineer", "technical"),
    ("VP of Sales", "revenue"), ("Head of RevOps", "revenue"), ("RevOps Manager", "revenue"),
    ("Sales Operations Analyst", "revenue"), ("Director of Sales Enablement", "revenue"),
    ("VP of Marketing", "revenue"), ("Product Marketing Manager", "revenue"),
    ("Head of Customer Success", "operations"), ("Director of Operations", "operations"),
    ("Operations Manager", "operations"), ("Program Manager", "operations"),
)  # fmt: skip
TITLE_WEIGHTS: tuple[float, ...] = (
    2, 1, 1, 2, 2, 2, 1, 1, 1, 1, 3, 3, 2, 1, 2, 1, 3, 3, 3, 2, 2, 2, 2, 2, 2, 2, 1,
)  # fmt: skip

CONTACT_ROLES: tuple[str, ...] = (
    "Decision Maker", "Economic Buyer", "Technical Evaluator", "Champion", "Influencer",
    "Executive Sponsor", "Other",
)  # fmt: skip
# P(role | title category), rows follow ROLE_CATEGORIES, columns follow CONTACT_ROLES.
ROLE_CATEGORIES: tuple[str, ...] = ("exec", "finance", "technical", "revenue", "operations")
ROLE_WEIGHTS_BY_CATEGORY: tuple[tuple[float, ...], ...] = (
    (0.40, 0.20, 0.00, 0.05, 0.05, 0.28, 0.02),
    (0.20, 0.55, 0.00, 0.02, 0.15, 0.05, 0.03),
    (0.10, 0.02, 0.55, 0.15, 0.15, 0.01, 0.02),
    (0.20, 0.05, 0.05, 0.40, 0.25, 0.02, 0.03),
    (0.10, 0.05, 0.10, 0.30, 0.35, 0.02, 0.08),
)

# Company names are "<prefix> <core>" or "<adjective> <prefix> <core>"; the core word
# decides the industry so name and industry agree ("Northwind Logistics" ships things).
COMPANY_ADJECTIVES: tuple[str, ...] = (
    "Blue", "Red", "Green", "Silver", "Golden", "Bright", "Clear", "Swift", "Bold", "True",
    "Prime", "North", "South", "East", "West", "Upper", "Grand", "Iron", "Stone", "Cedar",
    "Maple", "Oak", "Pine", "Summit", "Coastal", "Urban", "Royal", "Noble", "Rapid", "Smart",
    "Open", "Next", "New", "First", "Pacific", "Atlantic", "Alpine", "Polar", "Solar", "Lunar",
    "Crystal", "Harbor", "River", "Lake", "Valley", "Bay", "Metro", "Civic", "United", "Global",
)  # fmt: skip
COMPANY_PREFIXES: tuple[str, ...] = (
    "Northwind", "Globex", "Initech", "Umbrella", "Stark", "Wayne", "Acorn", "Apex", "Vertex",
    "Zenith", "Nimbus", "Quantum", "Helix", "Orion", "Vega", "Nova", "Aurora", "Cobalt",
    "Falcon", "Hawk", "Phoenix", "Sparrow", "Kestrel", "Osprey", "Lynx", "Otter", "Badger",
    "Fox", "Wolf", "Bear", "Tiger", "Granite", "Basalt", "Quartz", "Onyx", "Jade", "Amber",
    "Ivory", "Copper", "Bronze", "Titan", "Atlas", "Hermes", "Apollo", "Athena", "Juno",
    "Mercury", "Neptune", "Saturn", "Jupiter", "Pioneer", "Frontier", "Horizon", "Meridian",
    "Beacon", "Lighthouse", "Keystone", "Cornerstone", "Bridgeway", "Crossroads", "Pinnacle",
    "Momentum", "Catalyst", "Vector", "Matrix", "Cipher", "Signal", "Pulse", "Echo", "Spark",
    "Ember", "Blaze", "Glacier", "Tundra", "Mesa", "Canyon", "Prairie", "Delta", "Sierra",
    "Tango", "Kilo", "Lima", "Oscar", "Hotel", "Bravo", "Alpha", "Omega", "Sigma", "Gamma",
    "Kappa", "Lambda", "Evergreen", "Redwood", "Sequoia", "Willow", "Birch", "Aspen", "Juniper",
    "Hazel", "Rowan", "Brightline", "Clearwater", "Stonebridge", "Ironwood", "Silverline",
    "Bluefin", "Greenfield", "Westbrook", "Eastgate", "Northstar", "Southport", "Highland",
    "Lowell", "Ashford", "Kingsley", "Hartwell", "Whitmore", "Blackwood", "Fairview",
    "Oakridge", "Riverside", "Lakeshore", "Hillcrest", "Seaside", "Sunset", "Daybreak",
)  # fmt: skip
# (core word, industry)
COMPANY_CORES: tuple[tuple[str, str], ...] = (
    ("Logistics", "Transportation & Logistics"), ("Freight", "Transportation & Logistics"),
    ("Shipping", "Transportation & Logistics"), ("Transport", "Transportation & Logistics"),
    ("Analytics", "Software"), ("Software", "Software"), ("Labs", "Software"),
    ("Systems", "Software"), ("Data", "Software"), ("Cloud", "Software"), ("AI", "Software"),
    ("Technologies", "Software"), ("Networks", "Telecommunications"),
    ("Telecom", "Telecommunications"), ("Wireless", "Telecommunications"),
    ("Capital", "Financial Services"), ("Financial", "Financial Services"),
    ("Bank", "Financial Services"), ("Insurance", "Financial Services"),
    ("Payments", "Financial Services"), ("Health", "Healthcare"), ("Medical", "Healthcare"),
    ("Care", "Healthcare"), ("Clinics", "Healthcare"), ("Therapeutics", "Biotechnology"),
    ("Biosciences", "Biotechnology"), ("Genomics", "Biotechnology"),
    ("Manufacturing", "Manufacturing"), ("Industries", "Manufacturing"),
    ("Robotics", "Manufacturing"), ("Materials", "Manufacturing"), ("Motors", "Manufacturing"),
    ("Retail", "Retail"), ("Outfitters", "Retail"), ("Markets", "Retail"), ("Foods", "Retail"),
    ("Energy", "Energy"), ("Power", "Energy"), ("Solar", "Energy"), ("Utilities", "Energy"),
    ("Media", "Media"), ("Studios", "Media"), ("Publishing", "Media"),
    ("Learning", "Education"), ("Academy", "Education"), ("Consulting", "Professional Services"),
    ("Partners", "Professional Services"), ("Advisors", "Professional Services"),
    ("Group", "Professional Services"), ("Holdings", "Financial Services"),
)  # fmt: skip

# Median employee count by industry: the segment follows from the head count.
INDUSTRY_MEDIAN_EMPLOYEES: dict[str, float] = {
    "Transportation & Logistics": 220, "Software": 90, "Telecommunications": 800,
    "Financial Services": 450, "Healthcare": 350, "Biotechnology": 120, "Manufacturing": 400,
    "Retail": 250, "Energy": 600, "Media": 100, "Education": 150, "Professional Services": 80,
}  # fmt: skip
# Median annual revenue per employee (USD) by industry.
INDUSTRY_REVENUE_PER_EMPLOYEE: dict[str, float] = {
    "Transportation & Logistics": 250_000, "Software": 220_000, "Telecommunications": 450_000,
    "Financial Services": 400_000, "Healthcare": 180_000, "Biotechnology": 300_000,
    "Manufacturing": 280_000, "Retail": 200_000, "Energy": 600_000, "Media": 210_000,
    "Education": 120_000, "Professional Services": 170_000,
}  # fmt: skip

SEGMENTS: tuple[str, ...] = ("SMB", "Mid-Market", "Enterprise")
# Upper bounds (exclusive) of employee_count for SMB and Mid-Market.
SEGMENT_EMPLOYEE_BOUNDS: tuple[int, int] = (200, 2000)

# (country, region, local currency, domain suffix, legal suffix, weight,
#  head-count multiplier: big enterprises cluster where the market is large)
COUNTRIES: tuple[tuple[str, str, str, str, str, float, float], ...] = (
    ("United States", "NA", "USD", ".com", "Inc.", 40, 1.3),
    ("Canada", "NA", "CAD", ".ca", "Ltd.", 5, 0.9),
    ("United Kingdom", "EMEA", "GBP", ".co.uk", "Ltd", 9, 1.1),
    ("Germany", "EMEA", "EUR", ".de", "GmbH", 7, 1.1),
    ("France", "EMEA", "EUR", ".fr", "SAS", 5, 1.0),
    ("Netherlands", "EMEA", "EUR", ".nl", "B.V.", 3, 0.9),
    ("Sweden", "EMEA", "SEK", ".se", "AB", 2, 0.9),
    ("Ireland", "EMEA", "EUR", ".ie", "Ltd", 2, 0.9),
    ("Spain", "EMEA", "EUR", ".es", "S.L.", 2, 0.8),
    ("Poland", "EMEA", "PLN", ".pl", "Sp. z o.o.", 2, 0.7),
    ("Israel", "EMEA", "ILS", ".co.il", "Ltd.", 1.5, 0.8),
    ("Australia", "APAC", "AUD", ".com.au", "Pty Ltd", 4, 1.0),
    ("Japan", "APAC", "JPY", ".co.jp", "K.K.", 3, 1.4),
    ("Singapore", "APAC", "SGD", ".sg", "Pte. Ltd.", 2, 0.9),
    ("India", "APAC", "INR", ".in", "Pvt. Ltd.", 4, 1.0),
    ("Brazil", "LATAM", "BRL", ".com.br", "Ltda.", 3, 0.9),
    ("Mexico", "LATAM", "MXN", ".mx", "S.A. de C.V.", 2, 0.8),
    ("Argentina", "LATAM", "ARS", ".com.ar", "S.A.", 1, 0.7),
    ("Chile", "LATAM", "CLP", ".cl", "SpA", 1, 0.7),
)
REGIONS: tuple[str, ...] = ("NA", "EMEA", "APAC", "LATAM")

OPEN_STAGES: tuple[str, ...] = (
    "Prospecting", "Qualification", "Needs Analysis", "Proposal", "Negotiation",
)  # fmt: skip
OPEN_STAGE_WEIGHTS: tuple[float, ...] = (0.30, 0.25, 0.20, 0.15, 0.10)

OPPORTUNITY_TYPES: tuple[str, ...] = ("New Business", "Expansion", "Renewal")
OPPORTUNITY_TYPE_WEIGHTS: tuple[float, ...] = (0.60, 0.25, 0.15)
# Expansions and renewals are smaller than the first purchase.
OPPORTUNITY_TYPE_AMOUNT_FACTOR: tuple[float, ...] = (1.0, 0.45, 0.8)

PRODUCT_LINES: tuple[str, ...] = (
    "Core Platform", "Analytics Add-on", "Enterprise Suite", "API Access",
    "Professional Services",
)  # fmt: skip
PRODUCT_LINE_WEIGHTS: tuple[float, ...] = (0.40, 0.20, 0.15, 0.15, 0.10)

# Median deal amount by segment (in the deal's currency; the demo does not convert).
SEGMENT_MEDIAN_AMOUNT: tuple[float, ...] = (12_000, 45_000, 180_000)
# Median sales cycle in days by segment.
SEGMENT_MEDIAN_CYCLE_DAYS: tuple[float, ...] = (30, 60, 120)
# Mean number of contacts per account by segment.
SEGMENT_MEAN_CONTACTS: tuple[float, ...] = (2.5, 4.5, 8.0)
# Relative number of deals an account of each segment has.
SEGMENT_DEAL_WEIGHT: tuple[float, ...] = (1.0, 2.0, 4.0)

COMPETITORS: tuple[str, ...] = (
    "Gong", "Clari", "Klue", "Crayon", "Clozd", "Chorus", "Salesloft", "Other",
)  # fmt: skip
# Spellings a CRM picklist-turned-free-text accumulates; index follows COMPETITORS.
COMPETITOR_DIRTY_VARIANTS: tuple[tuple[str, ...], ...] = (
    ("gong", "Gong.io", "GONG ", " Gong"),
    ("clari", "Clari Inc.", "CLARI"),
    ("klue", " Klue", "Klue Labs"),
    ("crayon", "Crayon.co", "CRAYON"),
    ("clozd", "Clozd Inc"),
    ("chorus.ai", "Chorus (ZoomInfo)"),
    ("SalesLoft", "salesloft "),
    ("other", "N/A", "-", "none", ""),
)

LOSS_REASONS: tuple[str, ...] = (
    "Price", "Product Fit", "Competitor", "No Decision", "Timing", "Budget", "Champion Left",
    "Other",
)  # fmt: skip
LOSS_REASON_WEIGHTS: tuple[float, ...] = (0.20, 0.16, 0.20, 0.15, 0.10, 0.09, 0.05, 0.05)
# P(a competitor is named | loss reason), index follows LOSS_REASONS.
LOSS_REASON_COMPETITOR_SHARE: tuple[float, ...] = (0.8, 0.7, 1.0, 0.1, 0.2, 0.2, 0.3, 0.4)
# P(competitor | loss reason): cheap tools win on price, call recorders on fit, etc.
# Rows follow LOSS_REASONS, columns COMPETITORS.
COMPETITOR_WEIGHTS_BY_REASON: tuple[tuple[float, ...], ...] = (
    (0.10, 0.08, 0.25, 0.25, 0.12, 0.05, 0.05, 0.10),
    (0.30, 0.20, 0.10, 0.08, 0.10, 0.10, 0.07, 0.05),
    (0.22, 0.18, 0.15, 0.13, 0.12, 0.08, 0.07, 0.05),
    (0.20, 0.15, 0.15, 0.15, 0.10, 0.10, 0.05, 0.10),
    (0.20, 0.15, 0.15, 0.15, 0.10, 0.10, 0.05, 0.10),
    (0.15, 0.10, 0.20, 0.20, 0.10, 0.10, 0.05, 0.10),
    (0.25, 0.20, 0.10, 0.10, 0.10, 0.10, 0.05, 0.10),
    (0.15, 0.15, 0.15, 0.15, 0.10, 0.10, 0.05, 0.15),
)
# Competitor mix on deals that are not lost (the ones we beat, or are up against).
COMPETITOR_WEIGHTS_OTHER: tuple[float, ...] = (0.22, 0.18, 0.15, 0.13, 0.12, 0.08, 0.07, 0.05)

# Free-text loss detail is an opening sentence for the reason, then one or two generic
# follow-ups. "{c}" is replaced by the deal's competitor (or "another vendor").
LOSS_DETAIL_OPENERS: tuple[tuple[str, ...], ...] = (
    (
        "Pricing came in roughly 30% above what they had budgeted.",
        "They said {c} quoted them almost half of our list price.",
        "Procurement pushed for a discount we could not approve.",
        "Per-seat pricing did not work for their seasonal headcount.",
    ),
    (
        "Missing Salesforce sandbox support was a blocker for their admins.",
        "They needed native HubSpot workflows and we only had the API.",
        "Security review flagged our lack of EU data residency.",
        "The reporting module did not cover their multi-currency setup.",
    ),
    (
        "They went with {c} after a two-week bake-off.",
        "{c} was already deployed in another business unit.",
        "The champion preferred the {c} UI in the final demo.",
        "{c} offered a free pilot and we could not match it in time.",
    ),
    (
        "The project stalled after the kickoff and nobody owns it now.",
        "They decided to keep their spreadsheet process for another year.",
        "No response since the proposal went out despite five follow-ups.",
        "Leadership did not prioritise it against their other initiatives.",
    ),
    (
        "They want to revisit after their fiscal year closes.",
        "A reorg froze all new tooling decisions until next quarter.",
        "Their CRM migration has to finish first.",
        "They asked us to check back in six months.",
    ),
    (
        "The budget was cut during the mid-year review.",
        "All discretionary spend was frozen company-wide.",
        "The budget line moved to a different department.",
        "They could only fund half of the proposed rollout.",
    ),
    (
        "Our champion left the company two weeks before signature.",
        "The VP sponsoring the project moved to another role.",
        "The new head of the team brought {c} with them.",
        "Champion went on extended leave and the deal lost momentum.",
    ),
    (
        "Deal closed out during the quarterly pipeline cleanup.",
        "Duplicate of another opportunity on the same account.",
        "They were acquired and the parent company standardises on {c}.",
        "Legal could not agree on the liability cap.",
    ),
)
LOSS_DETAIL_FOLLOW_UPS: tuple[str, ...] = (
    "Worth a call in Q3.",
    "The technical evaluation itself went well.",
    "They liked the interview insights feature a lot.",
    "Relationship with the team is still good.",
    "Sent a recap email to the economic buyer.",
    "The AE thinks this can come back next year.",
    "Their security questionnaire is on file if they return.",
    "Feedback from the demo was mostly positive.",
    "They asked for a case study from their industry.",
    "The timeline was too tight for a proper pilot.",
    "Multiple stakeholders had conflicting requirements.",
    "They are renewing the incumbent for one year only.",
)

# Sales reps per region (owner_name).
OWNERS_BY_REGION: dict[str, tuple[str, ...]] = {
    "NA": (
        "Alex Morgan", "Jordan Blake", "Taylor Reed", "Casey Brooks", "Morgan Hayes",
        "Riley Carter", "Jamie Collins", "Drew Parker", "Avery Quinn", "Cameron Ellis",
    ),
    "EMEA": (
        "Sophie Bernard", "Jonas Becker", "Emma de Jong", "Luca Romano", "Chloé Martin",
        "Oliver Hughes", "Anna Lindqvist", "Tomasz Nowak",
    ),
    "APAC": (
        "Kenji Watanabe", "Priya Iyer", "Liam O'Sullivan", "Mei Lin Tan", "Aarav Mehta",
        "Chloe Wong",
    ),
    "LATAM": ("Ana Souza", "Carlos Mendoza", "Lucía Fernández", "Mateus Costa"),
}  # fmt: skip

CLOSED_LOST = "Closed Lost"
CLOSED_WON = "Closed Won"


_NOT_DECOMPOSED = str.maketrans(
    {"ł": "l", "Ł": "L", "ø": "o", "Ø": "O", "đ": "d", "Đ": "D", "ß": "ss", "ı": "i"}  # noqa: RUF001
)


def ascii_slug(text: str) -> str:
    """Lower-case ASCII letters and digits only: the form used in domains and emails."""
    decomposed = unicodedata.normalize("NFKD", text)
    # Letters NFKD does not decompose into base + accent.
    decomposed = decomposed.translate(_NOT_DECOMPOSED)
    return "".join(ch for ch in decomposed.lower() if ch.isascii() and ch.isalnum())
