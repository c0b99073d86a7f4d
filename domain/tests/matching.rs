//! Lost-and-found matching (`domain::items::matching`) on the labelled set
//! `tests/data/matching.json` (written by `tests/data/make_matching.py`): 32 pairs of the
//! same object described by its owner and its finder, and 32 hard non-pairs. A pair is
//! proposed when it scores at least the default threshold; precision and recall are
//! printed (`cargo test -p domain --test matching -- --nocapture`) and held above a
//! floor, so that a change to the weights that makes matching worse fails here.

use domain::items::matching::{score, MatchSettings, Sighting};
use serde::Deserialize;

#[derive(Deserialize)]
struct Case {
    label: bool,
    lost: Sighting,
    found: Sighting,
}

#[derive(Deserialize)]
struct Set {
    cases: Vec<Case>,
}

#[test]
fn precision_and_recall_on_the_labelled_set() {
    let raw = include_str!("data/matching.json");
    let set: Set = serde_json::from_str(raw).unwrap();
    let settings = MatchSettings::default();
    let (mut tp, mut fp, mut fn_) = (0u32, 0u32, 0u32);
    let positives = set.cases.iter().filter(|c| c.label).count();
    assert!(positives >= 30 && set.cases.len() - positives >= 30);
    for (i, case) in set.cases.iter().enumerate() {
        let outcome = score(&case.lost, &case.found, &settings);
        match (case.label, &outcome) {
            (true, Some(_)) => tp += 1,
            (true, None) => {
                fn_ += 1;
                println!("missed pair {i}");
            }
            (false, Some(o)) => {
                fp += 1;
                println!("false match {i}: {:.2} {}", o.score, o.explanation());
            }
            (false, None) => {}
        }
        if let Some(o) = outcome {
            assert!(!o.explanation().is_empty());
        }
    }
    let precision = f64::from(tp) / f64::from((tp + fp).max(1));
    let recall = f64::from(tp) / f64::from((tp + fn_).max(1));
    println!("matching: precision {precision:.3}, recall {recall:.3} ({tp} true, {fp} false, {fn_} missed)");
    assert!(precision >= 0.95, "precision {precision:.3}");
    assert!(recall >= 0.9, "recall {recall:.3}");
}
