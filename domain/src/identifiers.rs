//! Identifiers of items and of online scams, normalised so that the same thing typed two
//! ways is found once (issue 20: lost-and-found matching, the public stolen-item check,
//! linked cases).
//!
//! [`normalise`] takes what the citizen typed and gives an [`Identifier`]: its kind, the
//! normalised form (what is indexed and compared) and the typed form (what is kept and
//! shown). Each kind's rule:
//!
//! | kind | normalised form | validated by |
//! |---|---|---|
//! | `imei` | 15 digits | length, Luhn check digit (3GPP TS 23.003 §6.2.1) |
//! | `frame_number` | upper case, spaces, dashes, dots and slashes removed | 4–30 letters or digits |
//! | `plate` | upper case, separators removed (see [`normalise_plate`]) | the country's formats, where known |
//! | `serial_number` | as a frame number | 3–40 letters or digits |
//! | `engraving_code` | as a frame number | 3–30 letters or digits |
//! | `iban` | upper case, no spaces | ISO 13616: the country's BBAN format (SWIFT's registry), mod-97 = 1 |
//! | `phone` | E.164 (`+3225551234`) | the `phonenumber` crate (libphonenumber's metadata) |
//! | `email` | trimmed, lower case | one `@`, a domain with a dot |
//! | `web_domain` | the host alone, lower case, without `www.` | labels of letters, digits and dashes |
//! | `crypto_wallet` | Bitcoin bech32 in lower case; others as typed | the address's shape (no checksum) |
//!
//! Errors are [`IdentifierError`], each with a stable [`IdentifierError::code`].

code_enum!(
    /// What an identifier identifies.
    IdentifierKind, "identifier kind", {
        /// A mobile phone's International Mobile Equipment Identity.
        Imei => "imei",
        /// A bicycle's frame number.
        FrameNumber => "frame_number",
        /// A vehicle registration plate (its country matters).
        Plate => "plate",
        /// A manufacturer's serial number.
        SerialNumber => "serial_number",
        /// A code engraved by the owner or a registration scheme (MyBike, Bicycode).
        EngravingCode => "engraving_code",
        /// An International Bank Account Number (ISO 13616).
        Iban => "iban",
        /// A phone number (a scammer's, for linking).
        Phone => "phone",
        /// An e-mail address.
        Email => "email",
        /// A web site's domain.
        WebDomain => "web_domain",
        /// A crypto-currency wallet address.
        CryptoWallet => "crypto_wallet",
    }
);

/// An identifier as typed and as normalised.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identifier {
    pub kind: IdentifierKind,
    /// What is indexed and compared.
    pub normalised: String,
    /// What the citizen typed, trimmed.
    pub typed: String,
}

/// Why a typed identifier is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdentifierError {
    #[error("empty identifier")]
    Empty,
    #[error("characters that this kind of identifier does not have")]
    BadCharacters,
    #[error("wrong length: {found} characters")]
    BadLength { found: usize },
    #[error("the check digits do not match")]
    BadCheck,
    #[error("not a known format for this kind or country")]
    BadFormat,
    #[error("unknown country `{0}`")]
    UnknownCountry(String),
}

impl IdentifierError {
    /// The stable code of the error, as the API shows it.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Empty => "empty",
            Self::BadCharacters => "bad_characters",
            Self::BadLength { .. } => "bad_length",
            Self::BadCheck => "bad_check_digits",
            Self::BadFormat => "bad_format",
            Self::UnknownCountry(_) => "unknown_country",
        }
    }
}

/// The longest identifier accepted, in characters, before any rule: longer input is
/// refused without further work.
pub const MAX_TYPED_CHARS: usize = 128;

/// Normalises and validates `typed` as a `kind` identifier. `country` (ISO 3166-1
/// alpha-2) is the country of a plate (required) or the default region of a phone number
/// written without `+` (then required too); other kinds ignore it.
///
/// # Errors
/// [`IdentifierError`] naming what is wrong.
pub fn normalise(
    kind: IdentifierKind,
    typed: &str,
    country: Option<&str>,
) -> Result<Identifier, IdentifierError> {
    let typed = typed.trim();
    if typed.is_empty() {
        return Err(IdentifierError::Empty);
    }
    let found = typed.chars().count();
    if found > MAX_TYPED_CHARS {
        return Err(IdentifierError::BadLength { found });
    }
    let normalised = match kind {
        IdentifierKind::Imei => imei(typed)?,
        IdentifierKind::FrameNumber => compact_code(typed, 4..=30)?,
        IdentifierKind::SerialNumber => compact_code(typed, 3..=40)?,
        IdentifierKind::EngravingCode => compact_code(typed, 3..=30)?,
        IdentifierKind::Plate => normalise_plate(typed, country.unwrap_or_default())?,
        IdentifierKind::Iban => iban(typed)?,
        IdentifierKind::Phone => phone(typed, country)?,
        IdentifierKind::Email => email(typed)?,
        IdentifierKind::WebDomain => web_domain(typed)?,
        IdentifierKind::CryptoWallet => wallet(typed)?,
    };
    Ok(Identifier {
        kind,
        normalised,
        typed: typed.to_owned(),
    })
}

/// Words that people type in a code's field when they do not know it, normalised (upper
/// case, separators removed), in the six languages of the service and English.
const PLACEHOLDER_WORDS: &[&str] = &[
    "UNKNOWN",
    "UNK",
    "NONE",
    "NULL",
    "NIL",
    "NOTKNOWN",
    "NOSERIAL",
    "NOSN",
    "NONUMBER",
    "INCONNU",
    "INCONNUE",
    "AUCUN",
    "AUCUNE",
    "NEANT",
    "SANS",
    "SANSNUMERO",
    "NC",
    "ND",
    "ONBEKEND",
    "GEEN",
    "NVT",
    "GEENNUMMER",
    "UNBEKANNT",
    "KEINE",
    "KEIN",
    "KEINENUMMER",
    "DESCONOCIDO",
    "DESCONOCIDA",
    "NINGUNO",
    "NINGUNA",
    "SINNUMERO",
    "DESCONEGUT",
    "DESCONEGUDA",
    "CAP",
    "SENSENUMERO",
    "NA",
    "XXX",
    // A plate nobody could read.
    "NOPLATE",
    "SANSPLAQUE",
    "PASDEPLAQUE",
    "GEENKENTEKEN",
    "GEENNUMMERPLAAT",
    "KEINKENNZEICHEN",
    "SINMATRICULA",
    "SENSEMATRICULA",
    "UNREADABLE",
    "ILLISIBLE",
    "ONLEESBAAR",
    "UNLESERLICH",
    "ILEGIBLE",
    "ILLEGIBLE",
];

/// Whether a normalised code is what people type when they do not know it, rather than
/// an identifier of one object: a word for "unknown" or "none" ([`PLACEHOLDER_WORDS`]),
/// or a phrase without digits around one of the longer ones ("unknown serial"),
/// one character repeated (`0000`, `XXXXXX`, fifteen zeros, which pass the Luhn check),
/// or a run of consecutive digits (`123456`, `987654321`). Such a value validates as a
/// code but links strangers, so it is not indexed, and the public check refuses it.
pub fn is_placeholder(normalised: &str) -> bool {
    let bytes = normalised.as_bytes();
    let Some(&first) = bytes.first() else {
        return true;
    };
    if PLACEHOLDER_WORDS.contains(&normalised) || bytes.iter().all(|&b| b == first) {
        return true;
    }
    // A phrase around such a word ("unknown serial", "numero inconnu"): no digit, and one
    // of the longer words in it.
    let words_only = !bytes.iter().any(u8::is_ascii_digit);
    if words_only
        && PLACEHOLDER_WORDS
            .iter()
            .any(|word| word.len() >= 5 && normalised.contains(word))
    {
        return true;
    }
    let digits = bytes.iter().all(u8::is_ascii_digit);
    let step = |up: bool| {
        bytes.windows(2).all(|w| {
            let (a, b) = (w[0] - b'0', w[1] - b'0');
            if up {
                b == (a + 1) % 10
            } else {
                a == (b + 1) % 10
            }
        })
    };
    digits && bytes.len() >= 3 && (step(true) || step(false))
}

/// Web domains shared by millions of people (social networks, marketplaces, messaging,
/// link shorteners, webmail, payment): where a scam took place, not who did it. Their
/// subdomains (`m.facebook.com`) are theirs too. A hosting platform's subdomains
/// (`shop.wixsite.com`) are not listed: each is one site.
const SHARED_PLATFORMS: &[&str] = &[
    "facebook.com",
    "fb.com",
    "messenger.com",
    "instagram.com",
    "whatsapp.com",
    "wa.me",
    "t.me",
    "telegram.org",
    "telegram.me",
    "tiktok.com",
    "snapchat.com",
    "x.com",
    "twitter.com",
    "youtube.com",
    "linkedin.com",
    "discord.com",
    "discord.gg",
    "signal.org",
    "leboncoin.fr",
    "vinted.fr",
    "vinted.be",
    "vinted.es",
    "vinted.lu",
    "vinted.com",
    "2ememain.be",
    "2dehands.be",
    "marktplaats.nl",
    "kleinanzeigen.de",
    "wallapop.com",
    "milanuncios.com",
    "ebay.com",
    "ebay.fr",
    "ebay.de",
    "ebay.be",
    "ebay.es",
    "amazon.com",
    "amazon.fr",
    "amazon.de",
    "amazon.es",
    "booking.com",
    "airbnb.com",
    "airbnb.fr",
    "paypal.com",
    "paypal.me",
    "google.com",
    "gmail.com",
    "outlook.com",
    "hotmail.com",
    "yahoo.com",
    "apple.com",
    "microsoft.com",
    "bit.ly",
    "tinyurl.com",
    "yahoo.fr",
    "hotmail.fr",
    "outlook.fr",
    "orange.fr",
    "free.fr",
    "sfr.fr",
    "laposte.net",
    "skynet.be",
    "telenet.be",
    "amazon.it",
    "amazon.co.uk",
    "amazon.nl",
    "amazon.com.be",
    "ebay.it",
    "ebay.co.uk",
    "ebay.nl",
    "vinted.it",
    "vinted.de",
    "vinted.nl",
    "vinted.co.uk",
    "youtu.be",
    "fb.me",
    "m.me",
    "threads.net",
    "pinterest.com",
    "reddit.com",
];

/// Whether a normalised web domain is a platform shared by millions
/// ([`SHARED_PLATFORMS`], or one of their subdomains): linking scams by it would link
/// strangers, so it is not indexed as a suspect's identifier.
pub fn is_shared_platform(domain: &str) -> bool {
    SHARED_PLATFORMS.iter().any(|platform| {
        domain == *platform
            || domain
                .strip_suffix(platform)
                .is_some_and(|sub| sub.ends_with('.'))
    })
}

/// Separators people type inside codes: removed before anything else.
fn is_separator(c: char) -> bool {
    c.is_whitespace() || matches!(c, '-' | '.' | '/' | '_' | '\u{2010}'..='\u{2015}')
}

/// Upper case, separators removed, only ASCII letters and digits left.
fn compact(typed: &str) -> Result<String, IdentifierError> {
    let out: String = typed
        .chars()
        .filter(|c| !is_separator(*c))
        .map(|c| c.to_ascii_uppercase())
        .collect();
    if out.is_empty() {
        return Err(IdentifierError::Empty);
    }
    if !out.chars().all(|c| c.is_ascii_alphanumeric()) {
        return Err(IdentifierError::BadCharacters);
    }
    Ok(out)
}

fn compact_code(
    typed: &str,
    length: std::ops::RangeInclusive<usize>,
) -> Result<String, IdentifierError> {
    let out = compact(typed)?;
    if !length.contains(&out.len()) {
        return Err(IdentifierError::BadLength { found: out.len() });
    }
    Ok(out)
}

/// The Luhn check (ISO/IEC 7812-1, annex B) over a string of ASCII digits.
pub fn luhn_valid(digits: &str) -> bool {
    let mut sum = 0u32;
    for (i, b) in digits.bytes().rev().enumerate() {
        let mut d = u32::from(b.wrapping_sub(b'0'));
        if d > 9 {
            return false;
        }
        if i % 2 == 1 {
            d *= 2;
            if d > 9 {
                d -= 9;
            }
        }
        sum += d;
    }
    !digits.is_empty() && sum.is_multiple_of(10)
}

fn imei(typed: &str) -> Result<String, IdentifierError> {
    let out = compact(typed)?;
    if !out.bytes().all(|b| b.is_ascii_digit()) {
        return Err(IdentifierError::BadCharacters);
    }
    if out.len() != 15 {
        return Err(IdentifierError::BadLength { found: out.len() });
    }
    if !luhn_valid(&out) {
        return Err(IdentifierError::BadCheck);
    }
    Ok(out)
}

/// The BBAN (the part after the check digits) of each country, in the notation of SWIFT's
/// IBAN registry: `4a` four upper-case letters, `6n` six digits, `12c` twelve letters or
/// digits. The countries of the single euro payments area and a few frequent others.
const IBAN_FORMATS: &[(&str, &str)] = &[
    ("AD", "4n4n12c"),
    ("AT", "5n11n"),
    ("BE", "3n7n2n"),
    ("BG", "4a4n2n8c"),
    ("CH", "5n12c"),
    ("CY", "3n5n16c"),
    ("CZ", "4n6n10n"),
    ("DE", "8n10n"),
    ("DK", "4n9n1n"),
    ("EE", "2n2n11n1n"),
    ("ES", "4n4n1n1n10n"),
    ("FI", "3n11n"),
    ("FR", "5n5n11c2n"),
    ("GB", "4a6n8n"),
    ("GI", "4a15c"),
    ("GR", "3n4n16c"),
    ("HR", "7n10n"),
    ("HU", "3n4n1n15n1n"),
    ("IE", "4a6n8n"),
    ("IS", "4n2n6n10n"),
    ("IT", "1a5n5n12c"),
    ("LI", "5n12c"),
    ("LT", "5n11n"),
    ("LU", "3n13c"),
    ("LV", "4a13c"),
    ("MC", "5n5n11c2n"),
    ("MT", "4a5n18c"),
    ("NL", "4a10n"),
    ("NO", "4n6n1n"),
    ("PL", "8n16n"),
    ("PT", "4n4n11n2n"),
    ("RO", "4a16c"),
    ("SE", "3n16n1n"),
    ("SI", "5n8n2n"),
    ("SK", "4n6n10n"),
    ("SM", "1a5n5n12c"),
    ("TR", "5n1n16c"),
    ("UA", "6n19c"),
    ("VA", "3n15n"),
];

/// Whether `bban` has the registry's `format`.
fn bban_matches(bban: &str, format: &str) -> bool {
    let mut rest = bban.as_bytes();
    let mut count = 0usize;
    for f in format.bytes() {
        if f.is_ascii_digit() {
            count = count * 10 + usize::from(f - b'0');
            continue;
        }
        if rest.len() < count {
            return false;
        }
        let (part, tail) = rest.split_at(count);
        let ok = match f {
            b'n' => part.iter().all(u8::is_ascii_digit),
            b'a' => part.iter().all(u8::is_ascii_uppercase),
            _ => part.iter().all(u8::is_ascii_alphanumeric),
        };
        if !ok {
            return false;
        }
        rest = tail;
        count = 0;
    }
    rest.is_empty()
}

/// The length of a BBAN of `format`.
fn bban_length(format: &str) -> usize {
    format
        .split(|c: char| c.is_ascii_alphabetic())
        .filter_map(|n| n.parse::<usize>().ok())
        .sum()
}

/// ISO 7064 MOD 97-10 over an IBAN rearranged (the first four characters moved to the
/// end, letters as 10..35): the remainder, 1 for a valid IBAN.
fn iban_remainder(iban: &str) -> u32 {
    let rearranged = iban[4..].bytes().chain(iban[..4].bytes());
    rearranged.fold(0u32, |acc, b| {
        let value = match b {
            b'0'..=b'9' => u32::from(b - b'0'),
            _ => u32::from(b - b'A') + 10,
        };
        if value >= 10 {
            (acc * 100 + value) % 97
        } else {
            (acc * 10 + value) % 97
        }
    })
}

fn iban(typed: &str) -> Result<String, IdentifierError> {
    let trimmed = typed
        .strip_prefix("IBAN")
        .or_else(|| typed.strip_prefix("iban"))
        .unwrap_or(typed);
    let out = compact(trimmed)?;
    if out.len() < 5 {
        return Err(IdentifierError::BadLength { found: out.len() });
    }
    let country = &out[..2];
    if !country.bytes().all(|b| b.is_ascii_uppercase())
        || !out[2..4].bytes().all(|b| b.is_ascii_digit())
    {
        return Err(IdentifierError::BadFormat);
    }
    let Some((_, format)) = IBAN_FORMATS.iter().find(|(c, _)| *c == country) else {
        return Err(IdentifierError::UnknownCountry(country.to_owned()));
    };
    if out.len() != 4 + bban_length(format) {
        return Err(IdentifierError::BadLength { found: out.len() });
    }
    if !bban_matches(&out[4..], format) {
        return Err(IdentifierError::BadFormat);
    }
    if iban_remainder(&out) != 1 {
        return Err(IdentifierError::BadCheck);
    }
    Ok(out)
}

/// A plate of a country whose format is not known here, or not said (a foreign vehicle
/// at a border station): its compact form, upper case without separators, 2 to 10
/// characters with at least one letter and one digit (so that words typed in the field,
/// "belge", "voir vidéo", are not plates), the form [`normalise_plate`] gives every
/// country but Germany. A German plate compares in this form too, where the boundary
/// between district and letters is lost (`B-AB 123` and `BA-B 123` compare equal).
///
/// # Errors
/// `Empty`, `BadCharacters`, `BadLength`, `BadFormat` (no letter or no digit).
pub fn plate_of_any_country(typed: &str) -> Result<String, IdentifierError> {
    let out = compact(typed)?;
    if !(2..=10).contains(&out.len()) {
        return Err(IdentifierError::BadLength { found: out.len() });
    }
    let letters = out.bytes().any(|b| b.is_ascii_alphabetic());
    let digits = out.bytes().any(|b| b.is_ascii_digit());
    if !(letters && digits) {
        return Err(IdentifierError::BadFormat);
    }
    Ok(out)
}

/// A plate, normalised for its country: upper case, separators removed. Where the
/// country's formats are known, the plate must have one of them:
/// - `BE`: `1-ABC-123` (since 2010), `ABC-123` and `123-ABC` (older), or a personalised
///   plate of 2 to 8 letters and digits;
/// - `FR`: `AB-123-CD` (SIV, since 2009) or `1234 AB 56` (FNI, 2 or 3 letters, a
///   department of 2 digits or 2A/2B);
/// - `LU`: 2 letters and 4 digits, or 1 to 6 digits;
/// - `ES`: 4 digits and 3 consonants (`1234 BCD`, since 2000);
/// - `NL`: 6 letters and digits in any of the side-codes.
///
/// Other countries: 2 to 10 letters and digits. Germany is not among the known
/// countries because the separator between district and letters is significant there
/// (`B-AB 123` is not `BA-B 123`): its plates are compared with the first separator
/// kept as `-`.
///
/// # Errors
/// `UnknownCountry` when `country` is not two letters; `BadFormat` when the plate has
/// none of its country's formats.
pub fn normalise_plate(typed: &str, country: &str) -> Result<String, IdentifierError> {
    let country = country.to_ascii_uppercase();
    if country.len() != 2 || !country.bytes().all(|b| b.is_ascii_uppercase()) {
        return Err(IdentifierError::UnknownCountry(country));
    }
    if country == "DE" {
        return german_plate(typed);
    }
    let out = compact(typed)?;
    let shape: String = out
        .chars()
        .map(|c| if c.is_ascii_digit() { '9' } else { 'A' })
        .collect();
    let ok = match country.as_str() {
        "BE" => {
            matches!(shape.as_str(), "9AAA999" | "AAA999" | "999AAA")
                || (2..=8).contains(&out.len())
        }
        "FR" => shape == "AA999AA" || fni_plate(&out),
        "LU" => {
            shape == "AA9999" || ((1..=6).contains(&out.len()) && shape.chars().all(|c| c == '9'))
        }
        "ES" => shape == "9999AAA" && out[4..].chars().all(|c| "BCDFGHJKLMNPRSTVWXYZ".contains(c)),
        "NL" => out.len() == 6,
        _ => (2..=10).contains(&out.len()),
    };
    if !ok {
        return Err(IdentifierError::BadFormat);
    }
    Ok(out)
}

/// France's FNI plates (before 2009): 1 to 4 digits, 2 or 3 letters, a department
/// (2 digits, 2A, 2B, or 3 digits for overseas).
fn fni_plate(out: &str) -> bool {
    let digits = out.chars().take_while(char::is_ascii_digit).count();
    let rest = &out[digits..];
    let letters = rest.chars().take_while(char::is_ascii_alphabetic).count();
    let department = &rest[letters..];
    (1..=4).contains(&digits)
        && (2..=3).contains(&letters)
        && (department.len() == 2 || department.len() == 3)
        && (department.bytes().all(|b| b.is_ascii_digit())
            || department == "2A"
            || department == "2B")
}

/// German plates: the district (1 to 3 letters), `-`, then 1 or 2 letters and 1 to 4
/// digits, with an optional `E` or `H` suffix; the separator typed after the district
/// (space or dash) is what tells `B-AB 123` from `BA-B 123`.
fn german_plate(typed: &str) -> Result<String, IdentifierError> {
    let upper = typed
        .trim()
        .to_uppercase()
        .replace('Ö', "OE")
        .replace('Ü', "UE")
        .replace('Ä', "AE");
    let mut parts = upper.splitn(2, |c: char| c == '-' || c.is_whitespace());
    let district = parts.next().unwrap_or_default();
    let rest = compact(parts.next().unwrap_or_default())?;
    let district_ok =
        (1..=3).contains(&district.len()) && district.bytes().all(|b| b.is_ascii_uppercase());
    let letters = rest.chars().take_while(char::is_ascii_alphabetic).count();
    let tail = &rest[letters..];
    let digits = tail.chars().take_while(char::is_ascii_digit).count();
    let suffix = &tail[digits..];
    if !district_ok
        || !(1..=2).contains(&letters)
        || !(1..=4).contains(&digits)
        || !(suffix.is_empty() || suffix == "E" || suffix == "H")
    {
        return Err(IdentifierError::BadFormat);
    }
    Ok(format!("{district}-{rest}"))
}

fn phone(typed: &str, country: Option<&str>) -> Result<String, IdentifierError> {
    use phonenumber::country::Id;
    if typed.chars().any(|c| c.is_alphabetic()) {
        return Err(IdentifierError::BadCharacters);
    }
    let region = match country {
        Some(code) => Some(
            code.to_ascii_uppercase()
                .parse::<Id>()
                .map_err(|_| IdentifierError::UnknownCountry(code.to_owned()))?,
        ),
        None => None,
    };
    let number = phonenumber::parse(region, typed).map_err(|_| IdentifierError::BadFormat)?;
    if !phonenumber::is_valid(&number) {
        return Err(IdentifierError::BadFormat);
    }
    Ok(number.format().mode(phonenumber::Mode::E164).to_string())
}

/// An e-mail address a confirmation can be sent to, the one rule of the service (filings,
/// preferences, travel invitations): at most 254 bytes (RFC 5321 §4.5.3.1.3), an address
/// by RFC 5322's `addr-spec` as the `email_address` crate parses it (so no `..`, no
/// stray `>`), no white space or control character, and a domain that is a host name
/// with at least two labels (no IP literal such as `[127.0.0.1]`, no trailing dot).
pub fn valid_email(email: &str) -> bool {
    email.len() <= crate::limits::EMAIL_MAX_BYTES
        && !email.chars().any(|c| c.is_whitespace() || c.is_control())
        && email_address::EmailAddress::is_valid(email)
        && email.rsplit_once('@').is_some_and(|(local, domain)| {
            !local.is_empty() && !domain.ends_with('.') && host(domain).is_ok()
        })
}

fn email(typed: &str) -> Result<String, IdentifierError> {
    let out = typed.trim_start_matches("mailto:").to_lowercase();
    if out.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(IdentifierError::BadCharacters);
    }
    let (local, domain) = out.rsplit_once('@').ok_or(IdentifierError::BadFormat)?;
    if local.is_empty() || local.contains('@') || local.len() > 64 {
        return Err(IdentifierError::BadFormat);
    }
    let domain = host(domain)?;
    Ok(format!("{local}@{domain}"))
}

/// A host name, lower case, without a trailing dot: at least two labels of letters
/// (any script), digits and dashes, no label longer than 63.
pub(crate) fn host(raw: &str) -> Result<String, IdentifierError> {
    let host = raw.trim_end_matches('.').to_lowercase();
    let labels: Vec<&str> = host.split('.').collect();
    let ok = labels.len() >= 2
        && host.len() <= 253
        && labels.iter().all(|l| {
            !l.is_empty()
                && l.chars().count() <= 63
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.chars().all(|c| c.is_alphanumeric() || c == '-')
        });
    if !ok {
        return Err(IdentifierError::BadFormat);
    }
    Ok(host)
}

fn web_domain(typed: &str) -> Result<String, IdentifierError> {
    let lower = typed.trim().to_lowercase();
    let without_scheme = lower
        .split_once("://")
        .map_or(lower.as_str(), |(_, rest)| rest);
    let authority = without_scheme
        .split(['/', '?', '#'])
        .next()
        .unwrap_or_default();
    let host_port = authority.rsplit('@').next().unwrap_or_default();
    let host_only = match host_port.rsplit_once(':') {
        Some((h, port)) if port.bytes().all(|b| b.is_ascii_digit()) => h,
        _ => host_port,
    };
    let host_only = host_only.strip_prefix("www.").unwrap_or(host_only);
    host(host_only)
}

const BASE58: &str = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";

fn wallet(typed: &str) -> Result<String, IdentifierError> {
    let t = typed.trim();
    if t.chars().any(|c| !c.is_ascii_alphanumeric()) {
        return Err(IdentifierError::BadCharacters);
    }
    let lower = t.to_ascii_lowercase();
    // Bitcoin bech32/bech32m (BIP 173/350): case-insensitive, stored in lower case.
    if lower.starts_with("bc1") && (14..=74).contains(&lower.len()) {
        let data = &lower[3..];
        if data
            .chars()
            .all(|c| "qpzry9x8gf2tvdw0s3jn54khce6mua7l".contains(c))
        {
            return Ok(lower);
        }
        return Err(IdentifierError::BadFormat);
    }
    // Ethereum and compatible chains: 0x and 40 hexadecimal digits, case-insensitive
    // (EIP-55's mixed case is only a checksum).
    if lower.starts_with("0x")
        && lower.len() == 42
        && lower[2..].bytes().all(|b| b.is_ascii_hexdigit())
    {
        return Ok(lower);
    }
    // Bitcoin legacy (P2PKH `1…`, P2SH `3…`) and other base58 addresses (Tron `T…`):
    // case-sensitive, kept as typed.
    if (25..=35).contains(&t.len()) && t.chars().all(|c| BASE58.contains(c)) {
        return Ok(t.to_owned());
    }
    Err(IdentifierError::BadFormat)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn norm(kind: IdentifierKind, typed: &str, country: Option<&str>) -> Result<String, String> {
        normalise(kind, typed, country)
            .map(|i| i.normalised)
            .map_err(|e| e.code().to_owned())
    }

    #[test]
    fn placeholders_are_told_apart_from_codes() {
        for placeholder in [
            "UNKNOWN",
            "INCONNU",
            "ONBEKEND",
            "UNBEKANNT",
            "DESCONOCIDO",
            "DESCONEGUT",
            "NA",
            "0000",
            "XXXXXX",
            "000000000000000",
            "123456",
            "0123456789",
            "987654321",
            "",
            "UNKNOWNSERIAL",
            "NUMEROINCONNU",
            "SERIENUMMERONBEKEND",
        ] {
            assert!(is_placeholder(placeholder), "{placeholder}");
        }
        for code in [
            "WBK4711X",
            "GZ1000000012",
            "356938035643809",
            "C02XK0JHJG5H",
            "1235",
            "12",
            "AB1234",
            "0001",
            "121212",
            "JDUPONT",
            "UNKNOWN7",
        ] {
            assert!(!is_placeholder(code), "{code}");
        }
        // Fifteen zeros pass the Luhn check: a valid IMEI's format, but a placeholder.
        assert_eq!(
            norm(IdentifierKind::Imei, "000000000000000", None).as_deref(),
            Ok("000000000000000")
        );
    }

    #[test]
    fn imeis_are_fifteen_digits_with_a_luhn_check() {
        use IdentifierKind::Imei;
        // Published examples (3GPP TS 23.003 annex B; the GSMA's and Wikipedia's).
        for valid in [
            "490154203237518",
            "35-209900-176148-1",
            "35 693803 564380 9",
        ] {
            assert!(norm(Imei, valid, None).is_ok(), "{valid}");
        }
        assert_eq!(
            norm(Imei, "35-209900-176148-1", None).unwrap(),
            "352099001761481"
        );
        assert_eq!(
            norm(Imei, "490154203237519", None),
            Err("bad_check_digits".into())
        );
        assert_eq!(norm(Imei, "49015420323751", None), Err("bad_length".into()));
        assert_eq!(
            norm(Imei, "4901542032375180", None),
            Err("bad_length".into())
        );
        assert_eq!(
            norm(Imei, "49015420323751A", None),
            Err("bad_characters".into())
        );
        assert_eq!(norm(Imei, "  ", None), Err("empty".into()));
    }

    #[test]
    fn ibans_of_several_countries() {
        use IdentifierKind::Iban;
        // The examples of the SWIFT IBAN registry.
        for (typed, want) in [
            ("BE68 5390 0754 7034", "BE68539007547034"),
            (
                "FR14 2004 1010 0505 0001 3M02 606",
                "FR1420041010050500013M02606",
            ),
            ("LU28 0019 4006 4475 0000", "LU280019400644750000"),
            ("ES91 2100 0418 4502 0005 1332", "ES9121000418450200051332"),
            ("de89 3704 0044 0532 0130 00", "DE89370400440532013000"),
            ("IBAN NL91 ABNA 0417 1643 00", "NL91ABNA0417164300"),
            ("GB82 WEST 1234 5698 7654 32", "GB82WEST12345698765432"),
            ("CH93 0076 2011 6238 5295 7", "CH9300762011623852957"),
        ] {
            assert_eq!(norm(Iban, typed, None), Ok(want.to_owned()), "{typed}");
        }
        assert_eq!(
            norm(Iban, "BE68539007547035", None),
            Err("bad_check_digits".into())
        );
        assert_eq!(norm(Iban, "BE685390075470", None), Err("bad_length".into()));
        assert_eq!(
            norm(Iban, "XX68539007547034", None),
            Err("unknown_country".into())
        );
        assert_eq!(
            norm(Iban, "B168539007547034", None),
            Err("bad_format".into())
        );
        // The Dutch BBAN starts with the bank's four letters.
        assert_eq!(
            norm(Iban, "NL91AB1A0417164300", None),
            Err("bad_format".into())
        );
    }

    #[test]
    fn plates_per_country() {
        use IdentifierKind::Plate;
        assert_eq!(norm(Plate, "1-abc-123", Some("BE")), Ok("1ABC123".into()));
        assert_eq!(norm(Plate, "1 ABC 123", Some("be")), Ok("1ABC123".into()));
        assert_eq!(norm(Plate, "AB-123-CD", Some("FR")), Ok("AB123CD".into()));
        assert_eq!(norm(Plate, "1234 AB 56", Some("FR")), Ok("1234AB56".into()));
        assert_eq!(norm(Plate, "123 ABC 2A", Some("FR")), Ok("123ABC2A".into()));
        assert_eq!(
            norm(Plate, "A-123-BCD", Some("FR")),
            Err("bad_format".into())
        );
        assert_eq!(norm(Plate, "AB 1234", Some("LU")), Ok("AB1234".into()));
        assert_eq!(norm(Plate, "12345", Some("LU")), Ok("12345".into()));
        assert_eq!(norm(Plate, "1234 BCD", Some("ES")), Ok("1234BCD".into()));
        assert_eq!(
            norm(Plate, "1234 ABC", Some("ES")),
            Err("bad_format".into())
        );
        assert_eq!(norm(Plate, "AB-12-CD", Some("NL")), Ok("AB12CD".into()));
        // Germany: the district's separator is part of the plate.
        assert_eq!(norm(Plate, "B-AB 123", Some("DE")), Ok("B-AB123".into()));
        assert_eq!(norm(Plate, "BA B 123", Some("DE")), Ok("BA-B123".into()));
        assert_ne!(
            norm(Plate, "B-AB 123", Some("DE")),
            norm(Plate, "BA-B 123", Some("DE"))
        );
        assert_eq!(
            norm(Plate, "M-XY 1234E", Some("DE")),
            Ok("M-XY1234E".into())
        );
        assert_eq!(
            norm(Plate, "1-ABC-123", None),
            Err("unknown_country".into())
        );
    }

    #[test]
    fn codes_lose_case_and_separators() {
        use IdentifierKind::*;
        assert_eq!(
            norm(FrameNumber, "wbk 12-345.678", None),
            Ok("WBK12345678".into())
        );
        assert_eq!(norm(FrameNumber, "AB1", None), Err("bad_length".into()));
        assert_eq!(
            norm(FrameNumber, "AB1<script>", None),
            Err("bad_characters".into())
        );
        assert_eq!(
            norm(SerialNumber, "sn: c02x-1234", None),
            Err("bad_characters".into())
        );
        assert_eq!(norm(SerialNumber, "C02X-1234", None), Ok("C02X1234".into()));
        assert_eq!(
            norm(EngravingCode, "be 1234/5678", None),
            Ok("BE12345678".into())
        );
    }

    #[test]
    fn phones_in_e164() {
        use IdentifierKind::Phone;
        assert_eq!(
            norm(Phone, "+32 2 555 12 34", None),
            Ok("+3225551234".into())
        );
        assert_eq!(
            norm(Phone, "02 555 12 34", Some("BE")),
            Ok("+3225551234".into())
        );
        assert_eq!(
            norm(Phone, "06 12 34 56 78", Some("FR")),
            Ok("+33612345678".into())
        );
        assert_eq!(norm(Phone, "0612345678", None), Err("bad_format".into()));
        assert_eq!(norm(Phone, "+33 1", None), Err("bad_format".into()));
        assert_eq!(
            norm(Phone, "call me", Some("FR")),
            Err("bad_characters".into())
        );
        assert_eq!(
            norm(Phone, "0612345678", Some("ZZ")),
            Err("unknown_country".into())
        );
    }

    #[test]
    fn emails_domains_and_wallets() {
        use IdentifierKind::*;
        assert_eq!(
            norm(Email, " Scam.Desk@Example.COM ", None),
            Ok("scam.desk@example.com".into())
        );
        assert_eq!(
            norm(Email, "no-at-sign.example.com", None),
            Err("bad_format".into())
        );
        assert_eq!(norm(Email, "a@localhost", None), Err("bad_format".into()));
        assert_eq!(
            norm(
                WebDomain,
                "https://user@WWW.Fake-Shop.example:8443/pay?x=1",
                None
            ),
            Ok("fake-shop.example".into())
        );
        assert_eq!(
            norm(WebDomain, "fake-shop.example.", None),
            Ok("fake-shop.example".into())
        );
        assert_eq!(
            norm(WebDomain, "-bad-.example", None),
            Err("bad_format".into())
        );
        assert_eq!(
            norm(
                CryptoWallet,
                "BC1QAR0SRRR7XFKVY5L643LYDNW9RE59GTZZWF5MDQ",
                None
            ),
            Ok("bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq".into())
        );
        assert_eq!(
            norm(
                CryptoWallet,
                "0x52908400098527886E0F7030069857D2E4169EE7",
                None
            ),
            Ok("0x52908400098527886e0f7030069857d2e4169ee7".into())
        );
        assert_eq!(
            norm(CryptoWallet, "1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2", None),
            Ok("1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2".into())
        );
        assert_eq!(
            norm(CryptoWallet, "1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN0", None),
            Err("bad_format".into())
        );
    }

    #[test]
    fn overlong_input_is_refused_before_any_rule() {
        let long = "1".repeat(MAX_TYPED_CHARS + 1);
        for kind in IdentifierKind::ALL {
            assert_eq!(
                normalise(*kind, &long, Some("BE")).map_err(|e| e.code()),
                Err("bad_length"),
                "{kind}"
            );
        }
    }

    proptest! {
        /// Any 14 digits complete to exactly one valid IMEI, and any other last digit is
        /// caught; separators never change the result.
        #[test]
        fn one_check_digit_per_imei(body in "[0-9]{14}", wrong in 1u32..10) {
            let valid = (0..10u32)
                .map(|d| format!("{body}{d}"))
                .filter(|s| luhn_valid(s))
                .collect::<Vec<_>>();
            prop_assert_eq!(valid.len(), 1);
            let good = &valid[0];
            let last = good.as_bytes()[14] - b'0';
            let bad = format!("{body}{}", (u32::from(last) + wrong) % 10);
            prop_assert!(norm(IdentifierKind::Imei, good, None).is_ok());
            prop_assert_eq!(norm(IdentifierKind::Imei, &bad, None), Err("bad_check_digits".to_owned()));
            let spaced = format!("{} {}-{}", &good[..2], &good[2..8], &good[8..]);
            prop_assert_eq!(norm(IdentifierKind::Imei, &spaced, None), Ok(good.clone()));
        }

        /// Normalising a normalised identifier gives it back (idempotence), for every kind.
        #[test]
        fn normalising_twice_changes_nothing(typed in "[ A-Za-z0-9.-]{1,40}", k in 0usize..10) {
            let kind = IdentifierKind::ALL[k];
            if let Ok(once) = normalise(kind, &typed, Some("BE")) {
                let twice = normalise(kind, &once.normalised, Some("BE")).map(|i| i.normalised);
                prop_assert_eq!(twice, Ok(once.normalised));
            }
        }
    }
}
