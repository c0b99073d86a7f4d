//! A filing's reference number, as the citizen reads it aloud and types it into an
//! insurer's form.

use crate::UnknownCode;

/// Crockford's base-32 alphabet (no I, L, O, U: nothing that reads like another symbol),
/// then the five extra check symbols that references issued before 2026-11-30 may end
/// with. New references never use those five: see [`ReferenceNumber::generate`].
const ALPHABET: &[u8; 37] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ*~$=U";

/// The check modulus: a prime above the 32 symbols, so that a weighted sum catches any
/// single changed symbol and any swap of two neighbours.
const MODULUS: u64 = 37;

/// A filing's reference number: `EC-2026-7K2Q-9XHM-C`: the year of submission, eight
/// random base-32 characters (about 40 bits: not guessable from another citizen's), and a
/// check character over the year and the random part (Horner's rule in base 32, modulo
/// 37, as Crockford's base-32 check symbol), which catches any single typo and any swap
/// of two neighbouring characters.
///
/// Since 2026-11-30 the check character is always a letter or digit of the reference's
/// own alphabet: the random part is drawn so that the check value is below 32. Older
/// references ending in `*`, `~`, `$`, `=` or `U` are still accepted on input.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ReferenceNumber(String);

impl ReferenceNumber {
    /// Builds one from the year and 40 random bits. When the check value of those bits
    /// would need one of the five non-alphanumeric check symbols, the next value (modulo
    /// 2^40) is taken instead, deterministically, until the check is alphanumeric (at most
    /// a few steps: 32 values of 37 qualify).
    pub fn generate(year: i32, random: u64) -> Self {
        let mut value = random & ((1 << 40) - 1);
        loop {
            let body = body_of(value);
            let check = check_value(&format!("{year}{body}"));
            if check < 32 {
                let check = ALPHABET[check as usize] as char;
                return Self(format!("EC-{year}-{}-{}-{check}", &body[..4], &body[4..]));
            }
            value = (value + 1) & ((1 << 40) - 1);
        }
    }

    /// Parses a number as a person types it: case and separators do not matter, and the
    /// letters Crockford's alphabet leaves out are read as what they look like (`O` as
    /// `0`, `I` and `L` as `1`) in the random part.
    ///
    /// # Errors
    /// `UnknownCode` when the shape or the check character is wrong.
    pub fn parse(raw: &str) -> Result<Self, UnknownCode> {
        let error = || UnknownCode {
            kind: "reference number",
            value: raw.to_owned(),
        };
        let compact: String = raw
            .chars()
            .filter(|c| c.is_ascii_alphanumeric() || "*~$=".contains(*c))
            .map(|c| c.to_ascii_uppercase())
            .collect();
        let rest = compact.strip_prefix("EC").ok_or_else(error)?;
        if rest.len() != 4 + 8 + 1 || !rest[..4].bytes().all(|b| b.is_ascii_digit()) {
            return Err(error());
        }
        let (payload, check) = rest.split_at(12);
        let random: String = payload[4..]
            .chars()
            .map(|c| match c {
                'O' => '0',
                'I' | 'L' => '1',
                other => other,
            })
            .collect();
        let payload = format!("{}{random}", &payload[..4]);
        if !random.bytes().all(|b| ALPHABET[..32].contains(&b))
            || ALPHABET[check_value(&payload) as usize] as char
                != check.chars().next().unwrap_or_default()
        {
            return Err(error());
        }
        Ok(Self(format!(
            "EC-{}-{}-{}-{check}",
            &payload[..4],
            &payload[4..8],
            &payload[8..]
        )))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for ReferenceNumber {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

fn body_of(value: u64) -> String {
    (0..8)
        .rev()
        .map(|i| ALPHABET[((value >> (i * 5)) & 31) as usize] as char)
        .collect()
}

fn check_value(payload: &str) -> u64 {
    payload.bytes().fold(0u64, |acc, b| {
        let digit = ALPHABET.iter().position(|a| *a == b).unwrap_or(0) as u64;
        (acc * 32 + digit) % MODULUS
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn reference_numbers_round_trip_and_catch_typos(random in 0u64..(1 << 40), year in 2000i32..2100, pos in 0usize..8, swap in 0usize..7) {
            let r = ReferenceNumber::generate(year, random);
            prop_assert_eq!(ReferenceNumber::parse(r.as_str()), Ok(r.clone()));
            prop_assert_eq!(ReferenceNumber::parse(&r.as_str().to_lowercase().replace('-', " ")), Ok(r.clone()));
            let compact: Vec<u8> = r.as_str().bytes().filter(|b| *b != b'-').collect();
            // A single changed character of the random part is caught.
            let mut typo = compact.clone();
            let i = 2 + 4 + pos;
            typo[i] = if typo[i] == b'0' { b'1' } else { b'0' };
            prop_assert!(ReferenceNumber::parse(std::str::from_utf8(&typo).unwrap()).is_err());
            // So is a swap of two different neighbours.
            let mut swapped = compact.clone();
            let j = 2 + 4 + swap;
            if swapped[j] != swapped[j + 1] {
                swapped.swap(j, j + 1);
                prop_assert!(ReferenceNumber::parse(std::str::from_utf8(&swapped).unwrap()).is_err());
            }
        }

        #[test]
        fn new_references_end_in_a_letter_or_digit_of_their_own_alphabet(random in 0u64..(1 << 40), year in 2000i32..2100) {
            let r = ReferenceNumber::generate(year, random);
            let check = r.as_str().chars().last().unwrap();
            prop_assert!(check.is_ascii_alphanumeric() && ALPHABET[..32].contains(&(check as u8)), "{}", r);
            // Whatever the check character, the body is in Crockford's alphabet.
            prop_assert!(r.as_str()[8..].chars().all(|c| c == '-' || ALPHABET[..32].contains(&(c as u8))));
        }
    }

    #[test]
    fn the_reported_reference_and_other_old_forms_stay_valid() {
        // Issued before the change: check symbols outside the alphanumerics.
        let mut old = 0;
        for random in 0u64..2000 {
            let body = body_of(random);
            let check = check_value(&format!("2026{body}"));
            if check >= 32 {
                let raw = format!(
                    "EC-2026-{}-{}-{}",
                    &body[..4],
                    &body[4..],
                    ALPHABET[check as usize] as char
                );
                assert_eq!(ReferenceNumber::parse(&raw).unwrap().as_str(), raw);
                old += 1;
            }
        }
        assert!(old > 100, "{old}");
        assert!(ReferenceNumber::parse("EC-2026-1297-2130-~").is_ok());
    }

    #[test]
    fn letters_outside_the_alphabet_read_as_their_look_alikes() {
        let r = ReferenceNumber::generate(2026, 0);
        assert!(r.as_str().starts_with("EC-2026-0000-000"), "{r}");
        let check = r.as_str().chars().last().unwrap();
        let typed = format!(
            "ec 2026 oooo {} {check}",
            &r.as_str()[13..17].replace('0', "o")
        );
        assert_eq!(ReferenceNumber::parse(&typed), Ok(r.clone()));
        // The year stays digits.
        assert!(ReferenceNumber::parse(&r.as_str().replace("2026", "2O26")).is_err());
    }
}
