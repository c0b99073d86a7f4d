//! The filing's commands, without a database: each is a function of the filing, the
//! actor, the inputs and `now`.

use super::*;
use crate::actor::{CitizenActor, OfficerActor, StaffRole};
use crate::audit::{ActorRole, AuditOperation};
use crate::catalogue::{Assurance, Catalogue, Country, DeclarantKind};
use crate::directory::{Candidate, Confidence, MunicipalityId, PlaceError, Routing, RoutingMethod};
use chrono::{DateTime, Duration, TimeZone, Utc};
use serde_json::json;

fn catalogue() -> Catalogue {
    Catalogue::builtin().unwrap()
}

fn rules(catalogue: &Catalogue) -> Rules<'_> {
    Rules {
        catalogue,
        countries: &[Country::Be, Country::Lu, Country::Fr, Country::EsCt],
        daily_submissions: 3,
    }
}

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 22, 10, 0, 0).unwrap()
}

fn alice() -> CitizenActor {
    CitizenActor {
        id: "u-alice".into(),
        declarant: DeclarantKind::Person,
        assurance: Assurance::Substantial,
        client_id: Some("police-app".into()),
        partner: None,
    }
}

fn officer(units: &[&str]) -> OfficerActor {
    OfficerActor {
        id: "o-1".into(),
        name: None,
        role: StaffRole::Officer,
        units: units.iter().map(|u| u.to_string()).collect(),
        client_id: None,
    }
}

fn bicycle_input() -> NewFilingInput {
    NewFilingInput {
        procedure: "bicycle_theft".into(),
        country: "BE".into(),
        draft: DraftInput {
            place: Some(PlaceInput {
                municipality: Some("BE-25121".into()),
                ..PlaceInput::default()
            }),
            facts_date: Some(FactsDate {
                from: (now() - Duration::days(1)).fixed_offset(),
                until: None,
            }),
            answers: Some(
                [
                    "ongoing_danger",
                    "injury",
                    "known_author",
                    "violence",
                    "exploitable_traces",
                ]
                .into_iter()
                .map(|q| (q.to_owned(), json!(false)))
                .collect(),
            ),
            facts: Some(
                json!({"bicycle_locked": true, "circumstances": "Gone.", "items": [{"category": "bicycle"}]}),
            ),
            contact: Some(Contact {
                email: Some("alice@example.org".into()),
                ..Contact::default()
            }),
            confirmation_channel: Some(ConfirmationChannel::Email),
            language: Some("fr".into()),
        },
    }
}

fn draft(catalogue: &Catalogue) -> Filing {
    Filing::create(
        &rules(catalogue),
        &alice(),
        bicycle_input(),
        "f-1".into(),
        crate::i18n::Lang::En,
        now(),
    )
    .unwrap()
    .filing
}

fn routed() -> Result<Routing, PlaceError> {
    Ok(Routing::Routed {
        unit: "zp-ottignies-louvain-la-neuve".into(),
        municipality: MunicipalityId::new(Country::Be, "25121"),
        method: RoutingMethod::MunicipalityCode,
        confidence: Confidence::High,
    })
}

fn submitted(catalogue: &Catalogue) -> Filing {
    draft(catalogue)
        .submit(
            &rules(catalogue),
            &alice(),
            routed(),
            0,
            ReferenceNumber::generate(2026, 7),
            now(),
        )
        .unwrap()
        .filing
}

#[test]
fn create_reports_every_invalid_member_and_starts_a_draft() {
    let catalogue = catalogue();
    let mut input = bicycle_input();
    input.procedure = "no_such".into();
    input.country = "XX".into();
    let Err(FilingError::Invalid(issues)) = Filing::create(
        &rules(&catalogue),
        &alice(),
        input,
        "f".into(),
        crate::i18n::Lang::En,
        now(),
    ) else {
        panic!("expected field errors")
    };
    let pointers: Vec<&str> = issues.iter().map(|i| i.pointer.as_str()).collect();
    assert_eq!(pointers, ["/procedure", "/country"]);

    let effects = Filing::create(
        &rules(&catalogue),
        &alice(),
        bicycle_input(),
        "f-1".into(),
        crate::i18n::Lang::En,
        now(),
    )
    .unwrap();
    assert_eq!(effects.filing.status, FilingStatus::Draft);
    assert_eq!(effects.filing.version, 1);
    assert_eq!(effects.expected_version, None);
    assert_eq!(effects.history.as_ref().unwrap().action, "create");
    assert_eq!(effects.audit.operation, AuditOperation::Collection);
    assert_eq!(effects.audit.actor.role, ActorRole::Citizen);
    assert_eq!(effects.audit.actor.client_id.as_deref(), Some("police-app"));
}

#[test]
fn an_update_needs_the_current_version_and_a_draft() {
    let catalogue = catalogue();
    let filing = draft(&catalogue);
    let changes = DraftInput {
        language: Some("nl".into()),
        ..DraftInput::default()
    };
    assert_eq!(
        filing.update(&rules(&catalogue), &alice(), changes.clone(), 7, now()),
        Err(FilingError::Stale)
    );
    let effects = filing
        .update(&rules(&catalogue), &alice(), changes.clone(), 1, now())
        .unwrap();
    assert_eq!(effects.filing.language, crate::i18n::Lang::Nl);
    assert_eq!(effects.filing.version, 2);
    assert_eq!(effects.expected_version, Some(1));
    assert_eq!(effects.audit.operation, AuditOperation::Alteration);
    let sent = submitted(&catalogue);
    assert!(matches!(
        sent.update(&rules(&catalogue), &alice(), changes, sent.version, now()),
        Err(FilingError::InvalidTransition(_))
    ));
}

#[test]
fn submission_checks_in_order_and_takes_routing_quota_and_reference_as_inputs() {
    let catalogue = catalogue();
    let filing = draft(&catalogue);
    let rules = rules(&catalogue);
    let reference = || ReferenceNumber::generate(2026, 42);
    let weak = CitizenActor {
        assurance: Assurance::Low,
        ..alice()
    };
    assert!(matches!(
        filing.submit(&rules, &weak, routed(), 0, reference(), now()),
        Err(FilingError::InsufficientAssurance { .. })
    ));
    let ambiguous = Ok(Routing::Ambiguous {
        candidates: vec![Candidate {
            municipality: MunicipalityId::new(Country::Be, "21015"),
            unit: None,
            distance_m: Some(10.0),
            names: Default::default(),
            languages: Vec::new(),
        }],
        method: RoutingMethod::Coordinates,
        reason: crate::directory::AmbiguityReason::NearBorder,
    });
    assert!(matches!(
        filing.submit(&rules, &alice(), ambiguous, 0, reference(), now()),
        Err(FilingError::PlaceAmbiguous(c)) if c.len() == 1
    ));
    assert_eq!(
        filing.submit(
            &rules,
            &alice(),
            Err(PlaceError::UnknownPostalCode(Country::Be, "9999".into())),
            0,
            reference(),
            now()
        ),
        Err(FilingError::Invalid(vec![crate::forms::FieldIssue::new(
            "/place/postal_code",
            "postal_code_not_found"
        )]))
    );
    assert!(matches!(
        filing.submit(&rules, &alice(), routed(), 3, reference(), now()),
        Err(FilingError::QuotaExceeded { retry_after_secs }) if retry_after_secs > 0
    ));
    let effects = filing
        .submit(&rules, &alice(), routed(), 2, reference(), now())
        .unwrap();
    assert_eq!(effects.filing.status, FilingStatus::Submitted);
    assert_eq!(effects.filing.reference, Some(reference()));
    assert_eq!(
        effects.filing.unit.as_deref(),
        Some("zp-ottignies-louvain-la-neuve")
    );
    assert_eq!(effects.filing.submitted_at, Some(now()));
    let history = effects.history.unwrap();
    assert_eq!(
        (history.from, history.to),
        (Some(FilingStatus::Draft), FilingStatus::Submitted)
    );
    // Submitted once: a second submission is a transition error, whatever else.
    assert!(matches!(
        effects
            .filing
            .submit(&rules, &alice(), routed(), 0, reference(), now()),
        Err(FilingError::InvalidTransition(_))
    ));
}

#[test]
fn missing_answers_are_reported_at_escaped_pointers() {
    let catalogue = catalogue();
    let mut input = bicycle_input();
    input.draft.answers = Some(Default::default());
    let filing = Filing::create(
        &rules(&catalogue),
        &alice(),
        input,
        "f".into(),
        crate::i18n::Lang::En,
        now(),
    )
    .unwrap()
    .filing;
    let Err(FilingError::Invalid(issues)) = filing.submit(
        &rules(&catalogue),
        &alice(),
        routed(),
        0,
        ReferenceNumber::generate(2026, 1),
        now(),
    ) else {
        panic!("expected field errors")
    };
    assert!(issues
        .iter()
        .all(|i| i.pointer.starts_with("/answers/") && i.code == "required"));
    assert_eq!(commands::answer_pointer("a/b~c"), "/answers/a~1b~0c");
}

#[test]
fn the_quota_day_is_the_local_day() {
    let catalogue = catalogue();
    let filing = draft(&catalogue);
    // 23:30 UTC on 21 November is 00:30 on the 22nd in Brussels.
    let late = Utc.with_ymd_and_hms(2026, 11, 21, 23, 30, 0).unwrap();
    let (start, left) = filing.quota_window(late);
    assert_eq!(start, Utc.with_ymd_and_hms(2026, 11, 21, 23, 0, 0).unwrap());
    assert_eq!(left, 23 * 3600 + 30 * 60);
}

#[test]
fn officer_actions_share_one_mechanism() {
    let catalogue = catalogue();
    let unit = "zp-ottignies-louvain-la-neuve";
    let officer = officer(&[unit]);
    let context = ActionContext {
        unit_number: "5271".into(),
        next_record_number: Some("5271/2026/000001".into()),
        ..ActionContext::default()
    };
    let filing = submitted(&catalogue);
    let input = ActionInput::default();
    // The status decides first: registering a submitted filing is a transition error,
    // even with members missing.
    assert!(matches!(
        filing.act(
            &officer,
            unit,
            FilingAction::Register,
            &input,
            &context,
            filing.version,
            now()
        ),
        Err(FilingError::InvalidTransition(_))
    ));
    let taken = filing
        .act(
            &officer,
            unit,
            FilingAction::TakeInCharge,
            &input,
            &context,
            filing.version,
            now(),
        )
        .unwrap();
    assert_eq!(taken.filing.assigned_officer.as_deref(), Some("o-1"));
    assert_eq!(taken.history.as_ref().unwrap().actor_role, "officer");
    assert_eq!(taken.audit.actor.unit.as_deref(), Some(unit));
    let filing = taken.filing;
    // Request info needs a question.
    assert!(matches!(
        filing.act(&officer, unit, FilingAction::RequestInfo, &input, &context, filing.version, now()),
        Err(FilingError::Invalid(i)) if i[0].pointer == "/message" && i[0].code == "required"
    ));
    // A record number of another unit's pattern is refused.
    let foreign = ActionInput {
        record_number: Some("5999/2026/000001".into()),
        ..ActionInput::default()
    };
    assert!(matches!(
        filing.act(&officer, unit, FilingAction::Register, &foreign, &context, filing.version, now()),
        Err(FilingError::Invalid(i)) if i[0].code == "invalid_record_number"
    ));
    // A transfer to the same unit, or to an unknown one, is refused.
    let transfer = ActionInput {
        target_unit: Some(unit.into()),
        reason_code: Some("wrong_unit".into()),
        explanation: Some("Not ours.".into()),
        ..ActionInput::default()
    };
    assert!(matches!(
        filing.act(&officer, unit, FilingAction::Transfer, &transfer, &context, filing.version, now()),
        Err(FilingError::Invalid(i)) if i[0].pointer == "/target_unit"
    ));
    // Registration takes the unit's next number and queues the citizen's confirmation.
    let registered = filing
        .act(
            &officer,
            unit,
            FilingAction::Register,
            &input,
            &context,
            filing.version,
            now(),
        )
        .unwrap();
    assert_eq!(
        registered.filing.record_number.as_deref(),
        Some("5271/2026/000001")
    );
    assert_eq!(registered.messages.len(), 1);
    assert_eq!(registered.messages[0].template, "filing_registered");
    assert_eq!(registered.messages[0].channel, ConfirmationChannel::Email);
    assert_eq!(registered.messages[0].language, crate::i18n::Lang::Fr);
    assert!(!registered.messages[0].payload.to_string().contains("Gone."));
}

#[test]
fn record_numbers_follow_the_units_pattern() {
    use officer::{is_units_record_number, record_number};
    assert_eq!(record_number("5271", 2026, 12), "5271/2026/000012");
    assert!(is_units_record_number("5271", "5271/2026/000012"));
    assert!(is_units_record_number("5271", "5271/2025/1"));
    for bad in [
        "5272/2026/000012",
        "5271/26/000012",
        "5271/2026/",
        "5271/2026/12a",
        "5271/2026/1/2",
        "5271",
    ] {
        assert!(!is_units_record_number("5271", bad), "{bad}");
    }
}

#[test]
fn e_mail_addresses_have_one_at_sign_and_a_domain() {
    use commands::valid_email;
    assert!(valid_email("alice@example.org"));
    for bad in [
        "ivan@@example.net",
        "not an email",
        "@example.org",
        "a@example",
        "a@.org",
        "a b@example.org",
        "a@example.org.",
        // Reported from outside: accepted, then refused by the mailer.
        "a@example.org>",
        "a..b@example.org",
        "a@example..org",
        "a@[127.0.0.1]",
        "a\u{0}@example.org",
    ] {
        assert!(!valid_email(bad), "{bad}");
    }
    for good in [
        "first.last+tag@example.org",
        "o'brien@sub.example.co.uk",
        "jose@bücher.example",
    ] {
        assert!(valid_email(good), "{good}");
    }
}

/// Every status change that concerns the citizen queues exactly one message by their
/// channel, in their language, whose payload holds references and never the facts.
#[test]
fn each_status_change_tells_the_citizen_by_their_channel_without_facts() {
    let catalogue = catalogue();
    let unit = "zp-ottignies-louvain-la-neuve";
    let officer = officer(&[unit]);
    let context = ActionContext {
        unit_number: "5271".into(),
        next_record_number: Some("5271/2026/000001".into()),
        target_unit_exists: true,
        ..ActionContext::default()
    };
    let draft = draft(&catalogue);
    // A draft and its changes notify nobody.
    assert!(draft.status_messages(&draft).is_empty());
    let submission = draft
        .submit(
            &rules(&catalogue),
            &alice(),
            routed(),
            0,
            ReferenceNumber::generate(2026, 7),
            now(),
        )
        .unwrap();
    let reference = submission
        .filing
        .reference
        .as_ref()
        .unwrap()
        .as_str()
        .to_owned();
    let check = |effects: &Effects, template: &str, members: &[&str]| {
        assert_eq!(effects.messages.len(), 1, "{template}");
        let message = &effects.messages[0];
        assert_eq!(message.template, template);
        assert_eq!(message.channel, ConfirmationChannel::Email);
        assert_eq!(message.language, crate::i18n::Lang::Fr);
        assert_eq!(message.payload["reference"], reference.as_str());
        let parsed: MessageTemplate = template.parse().unwrap();
        for member in parsed.required_members().iter().chain(members) {
            assert!(
                !message.payload[member].is_null(),
                "{template}: {member} in {}",
                message.payload
            );
        }
        let text = message.payload.to_string();
        for secret in ["Gone.", "bicycle", "alice@example.org", "GZ1"] {
            assert!(!text.contains(secret), "{template}: {secret} in {text}");
        }
    };
    check(&submission, "filing_submitted", &[]);
    assert_eq!(submission.messages[0].payload["country"], "BE");
    let act = |filing: &Filing, action: FilingAction, input: &ActionInput| {
        filing
            .act(
                &officer,
                unit,
                action,
                input,
                &context,
                filing.version,
                now(),
            )
            .unwrap()
    };
    let none = ActionInput::default();
    let taken = act(&submission.filing, FilingAction::TakeInCharge, &none);
    check(&taken, "filing_taken_in_charge", &[]);
    let question = ActionInput {
        message: Some("What colour was the bicycle?".into()),
        ..ActionInput::default()
    };
    let asked = act(&taken.filing, FilingAction::RequestInfo, &question);
    check(&asked, "filing_info_requested", &[]);
    assert_eq!(asked.messages[0].payload["filing_id"], "f-1");
    // The officer's question is read in the app, never sent by e-mail.
    assert!(!asked.messages[0].payload.to_string().contains("colour"));
    // The citizen's answer notifies nobody (they did it).
    let answered = asked.filing.answer(&alice(), "Red.".into(), now()).unwrap();
    assert!(answered.messages.is_empty());
    let registered = act(&answered.filing, FilingAction::Register, &none);
    check(&registered, "filing_registered", &[]);
    assert_eq!(
        registered.messages[0].payload["record_number"],
        "5271/2026/000001"
    );
    check(
        &act(&registered.filing, FilingAction::Close, &none),
        "filing_closed",
        &[],
    );
    let decision = ActionInput {
        reason_code: Some("not_police".into()),
        explanation: Some("This is a civil matter.".into()),
        where_to_go: Some("Your municipality's mediation service.".into()),
        ..ActionInput::default()
    };
    let rejected = act(&taken.filing, FilingAction::Reject, &decision);
    check(&rejected, "filing_rejected", &["where_to_go"]);
    assert_eq!(
        rejected.messages[0].payload["reason"],
        "This is a civil matter."
    );
    check(
        &act(&taken.filing, FilingAction::Redirect, &decision),
        "filing_redirected",
        &[],
    );
    let transfer = ActionInput {
        target_unit: Some("zp-wavre".into()),
        reason_code: Some("wrong_unit".into()),
        explanation: Some("Not ours.".into()),
        ..ActionInput::default()
    };
    let transferred = act(&taken.filing, FilingAction::Transfer, &transfer);
    check(&transferred, "filing_transferred", &[]);
    assert_eq!(transferred.messages[0].payload["unit_id"], "zp-wavre");
    assert_eq!(transferred.messages[0].payload["from_unit_id"], unit);
    // A citizen who chose the post gets letters.
    let mut by_post = taken.filing.clone();
    by_post.confirmation_channel = Some(ConfirmationChannel::Post);
    let letter = act(&by_post, FilingAction::Register, &none);
    assert_eq!(letter.messages[0].channel, ConfirmationChannel::Post);
    // A withdrawal notifies nobody.
    let withdrawn = submission.filing.withdraw(&alice(), now()).unwrap();
    assert!(withdrawn.messages.is_empty());
}

#[test]
fn every_filing_template_announces_one_status() {
    for template in MessageTemplate::ALL {
        let statuses: Vec<_> = FilingStatus::ALL
            .iter()
            .filter(|s| MessageTemplate::for_status(**s) == Some(*template))
            .collect();
        // The appointments' messages announce no status of the filing.
        let expected = usize::from(template.as_str().starts_with("filing_"));
        assert_eq!(statuses.len(), expected, "{template}");
    }
}
