//! The identifiers' rules (`domain::identifiers`, issue 20) against an independent
//! implementation: Python's `python-stdnum` (its `imei` and `iban` modules), run by the
//! test on the same thousands of inputs (valid ones, and each with one character changed
//! or two neighbours swapped). `ECOM_TEST_PYTHON` names the interpreter that has the
//! package (`.ci/run` installs it).

use domain::identifiers::{normalise, IdentifierKind};
use serde_json::{json, Value};

/// Asks python-stdnum about each `(kind, input)`: `null` when invalid, the compact
/// form when valid.
fn stdnum(inputs: &[(&str, String)]) -> Vec<Value> {
    let script = r#"
import json, sys
from stdnum import iban, imei
out = []
for kind, value in json.load(sys.stdin):
    module = imei if kind == "imei" else iban
    if module.is_valid(value) and (kind != "imei" or len(imei.compact(value)) == 15):
        out.append(module.compact(value))
    else:
        out.append(None)
print(json.dumps(out))
"#;
    let payload = serde_json::to_vec(&json!(inputs)).unwrap();
    let stdout = tests::python::run_script(script, &payload, "python-stdnum failed");
    serde_json::from_slice(&stdout).unwrap()
}

/// A small deterministic generator (xorshift), so that a failure is reproducible.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

/// `valid` with one character replaced, and with two neighbours swapped.
fn mutations(valid: &str, alphabet: &[u8], rng: &mut Rng) -> Vec<String> {
    let bytes = valid.as_bytes();
    let mut changed = bytes.to_vec();
    let i = rng.below(bytes.len());
    changed[i] = alphabet[rng.below(alphabet.len())];
    let mut swapped = bytes.to_vec();
    let j = rng.below(bytes.len() - 1);
    swapped.swap(j, j + 1);
    vec![
        String::from_utf8(changed).unwrap(),
        String::from_utf8(swapped).unwrap(),
    ]
}

#[test]
fn imeis_and_ibans_agree_with_python_stdnum() {
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let mut inputs: Vec<(&str, String)> = Vec::new();
    // IMEIs: random 14-digit bodies completed with their check digit, then mutated, and
    // random 15-digit strings (about one in ten valid).
    for _ in 0..400 {
        let body: String = (0..14)
            .map(|_| char::from(b'0' + rng.below(10) as u8))
            .collect();
        let valid = (0..10)
            .map(|d| format!("{body}{d}"))
            .find(|s| domain::identifiers::luhn_valid(s))
            .unwrap();
        inputs.push(("imei", valid.clone()));
        for m in mutations(&valid, b"0123456789", &mut rng) {
            inputs.push(("imei", m));
        }
        let random: String = (0..15)
            .map(|_| char::from(b'0' + rng.below(10) as u8))
            .collect();
        inputs.push(("imei", random));
    }
    // IBANs: examples of several countries, mutated many ways. (Not the registry's
    // Belgian example BE68 5390 0754 7034: python-stdnum also checks Belgian bank codes
    // against its list of banks, which does not have 539; ISO 13616 does not.)
    let ibans = [
        "BE71096123456769",
        "FR1420041010050500013M02606",
        "LU280019400644750000",
        "ES9121000418450200051332",
        "DE89370400440532013000",
        "NL91ABNA0417164300",
        "GB82WEST12345698765432",
        "CH9300762011623852957",
        "AT611904300234573201",
        "IT60X0542811101000000123456",
        "PT50000201231234567890154",
    ];
    for valid in ibans {
        inputs.push(("iban", valid.to_owned()));
        inputs.push(("iban", format!("{} {}", &valid[..4], &valid[4..])));
        for _ in 0..60 {
            for m in mutations(valid, b"0123456789", &mut rng) {
                inputs.push(("iban", m));
            }
        }
    }
    let theirs = stdnum(&inputs);
    assert_eq!(theirs.len(), inputs.len());
    let mut disagreements = Vec::new();
    let (mut valid, mut invalid) = (0, 0);
    for ((kind, input), theirs) in inputs.iter().zip(&theirs) {
        let kind_enum = if *kind == "imei" {
            IdentifierKind::Imei
        } else {
            IdentifierKind::Iban
        };
        let ours = normalise(kind_enum, input, None).ok().map(|i| i.normalised);
        let theirs = theirs.as_str().map(str::to_owned);
        if ours.is_some() {
            valid += 1;
        } else {
            invalid += 1;
        }
        if ours != theirs {
            disagreements.push(format!(
                "{kind} {input:?}: ours {ours:?}, stdnum {theirs:?}"
            ));
        }
    }
    assert!(
        disagreements.is_empty(),
        "{} of {} inputs differ:\n{}",
        disagreements.len(),
        inputs.len(),
        disagreements.join("\n")
    );
    // Both sides of the rule were exercised.
    assert!(
        valid > 400 && invalid > 800,
        "valid {valid}, invalid {invalid}"
    );
}
