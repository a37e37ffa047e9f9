/// The first classifier's vocabulary: folded (lower-case, no diacritics) word stems.
/// A stem ending in `$` matches only the whole word.
enum Lexicon {
    static let languages: [(String, [String])] = [
        ("sl", ["in$", "je$", "za$", "na$", "pozdrav", "spostovan", "lep$", "vas$", "bi$", "smo$", "ki$", "tudi$", "zelo$", "sodelovanj", "prosim", "hvala", "obcin", "zelim", "zanima"]),
        ("en", ["the$", "and$", "we$", "would$", "dear$", "regards$", "you$", "with$", "our$", "please$", "is$", "are$", "for$", "this$"]),
        ("de", ["und$", "die$", "der$", "das$", "wir$", "sehr$", "geehrte", "grusse$", "mit$", "fur$", "ist$", "nicht$", "ich$", "ihnen$"]),
        ("hr", ["postovan", "suradnj", "tjedan", "tko$", "sveucilist", "lijep", "grad$", "gradu$", "zelimo$", "bismo$", "htjeli$", "s$"]),
        ("sr", ["saradnj", "postovani$", "nedelj", "hiljad", "obezbed", "hteli$", "srdacan$", "molimo$", "поштовани", "сарадњ", "молимо", "и$", "је$"]),
        ("it", ["il$", "della$", "di$", "che$", "gentile$", "saluti$", "cordiali$", "nostro$", "nostra$", "per$", "sono$", "una$", "comune$"]),
        ("hu", ["es$", "hogy$", "tisztelt$", "udvozlettel$", "kapcsolat", "varos", "szeretn", "egy$", "az$", "nem$", "meg$"]),
        ("mk", ["почитувани", "соработк", "ве$", "молиме", "со$", "градот", "нашиот", "ќе$"]),
    ]

    static let fields: [(String, [String])] = [
        ("economy", ["gospodar", "podjet", "invest", "business", "wirtschaft", "unternehm", "econom", "trade$", "export", "izvoz", "privred", "gazdasag", "impres", "b2b$", "startup", "zbornic", "chamber"]),
        ("culture", ["kultur", "cultur", "glasb", "music", "musik", "festival", "razstav", "exhibit", "ausstell", "gledalisc", "theat", "koncert", "concert", "muzej", "museum", "umetn", "folklor", "zbor$", "choir"]),
        ("sport", ["sport", "turnir", "tournament", "nogomet", "football", "fussball", "kosark", "basketball", "tekm", "maraton", "marathon", "atlet", "rokomet", "handball", "odbojk", "volley"]),
        ("education", ["sol$", "sola$", "sole$", "solo$", "solsk", "school", "schul", "univerz", "universit", "fakultet", "facult", "student", "izobraz", "educat", "bildung", "erasmus", "dijak", "ucenc", "scuol", "obrazovanj", "oktatas", "vrtec", "gimnazij"]),
        ("tourism", ["turiz", "touris", "turist", "hotel", "travel", "reise", "potoval", "izlet", "ogled", "vodic", "obiskoval", "visitor"]),
        ("humanitarian", ["humanitar", "poplav", "flood", "hochwasser", "potres", "earthquake", "begun", "refugee", "fluchtling", "donacij", "donation", "rdeci$", "karitas", "caritas", "poplava", "pozar", "wildfire"]),
        ("social", ["socialn", "social", "sozial", "starejs", "elderly", "senior", "invalid", "disabil", "mladin", "youth", "jugend", "inkluz", "inclusion", "prostovolj", "volunt", "zdravj", "health", "ranljiv"]),
    ]

    static let intents: [(String, [String])] = [
        ("twinning_proposal", ["pobraten", "pobratim", "twinning", "twin$", "partnerstadt", "stadtepartner", "gemellag", "bratimljen", "testvervaros", "sister$"]),
        ("meeting_request", ["sestan", "razgovor", "meeting", "treffen", "termin", "incontro", "sastan", "appointment", "obisk", "visit", "srecanj"]),
        ("information_request", ["informacij", "information", "kontakt", "contact", "vprasanj", "question", "frage", "kako$", "how$", "where$", "podatk", "seznam"]),
        ("event_invitation", ["vabil", "vabim", "vabimo", "invit", "einlad", "invito", "poziv", "pozivnic", "ceremon", "otvoritev", "opening"]),
        ("aid_request", ["sponzor", "sponsor", "donacij", "financn", "financial", "sofinanc", "podporo", "pokrovitelj", "patronage", "unterstutz", "pomoc"]),
        ("partnership_proposal", ["sodelovanj", "cooperation", "zusammenarbeit", "projekt", "project", "partnerstv", "partnership", "suradnj", "saradnj", "collabor", "cooperaz", "izmenjav", "exchange"]),
        ("complaint_or_other", ["pritozb", "complaint", "beschwerde", "reklamacij", "nezadovolj", "unacceptable"]),
    ]

    /// Substrings (folded, with surrounding spaces or punctuation) that mark a legal person.
    static let legalMarkers: [(String, [String])] = [
        ("company", [" d.o.o", " d.d.", " s.p.", " gmbh", " ag ", " ltd", " inc.", " s.r.l", " kft", " sp. z o.o", " llc"]),
        ("municipality", ["mestna obcina", " obcina ", "obcine ", "municipality", "stadtgemeinde", "gemeinde", "comune di", "opcina", "opstina", "onkormanyzat", "city of ", "mayor", "zupan"]),
        ("state_body", ["veleposlanistv", "embassy", "botschaft", "konzulat", "consulate", "ministr"]),
        ("public_institution", ["univerz", "universit", "fakultet", "faculty", "gimnazij", "osnovna sola", "srednja sola", "vrtec", "javni zavod", " jz ", "muzej", "museum", "knjiznic"]),
        ("association", ["drustvo", "zveza ", " klub", " club", "verein", " e.v.", "udruga", "udruzenje", "egyesulet", "association", "foundation", "fundacij"]),
        ("other", ["gospodarska zbornica", "chamber of commerce", "wirtschaftskammer", "zupnij", "parish"]),
    ]

    static let freeMailDomains: Set<String> = [
        "gmail.com", "googlemail.com", "yahoo.com", "hotmail.com", "outlook.com", "live.com", "icloud.com",
        "gmx.de", "gmx.net", "web.de", "siol.net", "t-2.net", "amis.net", "email.si", "libero.it", "freemail.hu",
    ]
}
