//! The export of a filing for the records system, field by field, so that officers re-use
//! it without retyping: JSON, XML or text. Whatever a stored text holds, the XML is well
//! formed and each text field stays on its own `Label: value` line.

use crate::state::AppState;
use domain::filing::Filing;
use domain::i18n::Lang;

/// One exported field.
pub struct Field {
    pub key: String,
    pub label: String,
    pub value: String,
}

/// The filing's fields, in order.
pub fn fields(state: &AppState, filing: &Filing, lang: Lang) -> Vec<Field> {
    let catalogue = &state.catalogue;
    let mut fields: Vec<Field> = Vec::new();
    let mut push = |key: &str, label: String, value: Option<String>| {
        if let Some(value) = value.filter(|v| !v.is_empty()) {
            fields.push(Field {
                key: key.to_owned(),
                label,
                value,
            });
        }
    };
    push(
        "reference",
        "Reference".into(),
        filing.reference.as_ref().map(|r| r.as_str().to_owned()),
    );
    push(
        "record_number",
        "Record number".into(),
        filing.record_number.clone(),
    );
    push(
        "procedure",
        "Procedure".into(),
        Some(catalogue.text(lang, &format!("procedure.{}.name", filing.procedure))),
    );
    push("status", "Status".into(), Some(filing.status.to_string()));
    push(
        "declarant",
        "Declarant".into(),
        Some(filing.declarant.to_string()),
    );
    push("unit", "Unit".into(), filing.unit.clone());
    push(
        "municipality",
        "Municipality".into(),
        filing.municipality.as_ref().map(|m| m.to_string()),
    );
    push(
        "submitted_at",
        "Submitted at".into(),
        filing.submitted_at.map(|t| t.to_rfc3339()),
    );
    push(
        "facts_from",
        "Facts from".into(),
        filing.facts_date.map(|d| d.from.to_rfc3339()),
    );
    push(
        "facts_until",
        "Facts until".into(),
        filing
            .facts_date
            .and_then(|d| d.until)
            .map(|u| u.to_rfc3339()),
    );
    // The calendar date at the place of the facts, as the records system files it.
    push(
        "facts_date",
        "Date of the facts".into(),
        filing
            .facts_date
            .map(|d| d.local_date(filing.country).to_string()),
    );
    let scalar = |v: &serde_json::Value| match v {
        serde_json::Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    for (part, value) in [
        ("place", serde_json::to_value(&filing.place)),
        ("contact", serde_json::to_value(&filing.contact)),
    ] {
        if let Ok(serde_json::Value::Object(map)) = value {
            for (key, value) in map.iter().filter(|(_, v)| !v.is_null()) {
                push(
                    &format!("{part}.{key}"),
                    format!("{part} {key}"),
                    Some(scalar(value)),
                );
            }
        }
    }
    for (key, value) in &filing.facts {
        let label = catalogue
            .optional_text(lang, &format!("field.{key}.label"))
            .unwrap_or_else(|| key.clone());
        match value {
            serde_json::Value::Array(items) => {
                for (i, item) in items.iter().enumerate() {
                    match item {
                        serde_json::Value::Object(map) => {
                            for (sub, v) in map {
                                let sub_label = catalogue
                                    .optional_text(lang, &format!("field.item.{sub}.label"))
                                    .unwrap_or_else(|| sub.clone());
                                push(
                                    &format!("facts.{key}.{i}.{sub}"),
                                    format!("{label} {} – {sub_label}", i + 1),
                                    Some(scalar(v)),
                                );
                            }
                        }
                        other => push(
                            &format!("facts.{key}.{i}"),
                            format!("{label} {}", i + 1),
                            Some(scalar(other)),
                        ),
                    }
                }
            }
            other => push(&format!("facts.{key}"), label, Some(scalar(other))),
        }
    }
    for (key, value) in filing.answers_json() {
        push(
            &format!("answers.{key}"),
            catalogue.text(lang, &format!("question.{key}.text")),
            Some(scalar(&value)),
        );
    }
    push(
        "info_request",
        "Information requested".into(),
        filing.info_request.clone(),
    );
    push(
        "info_answer",
        "Citizen's answer".into(),
        filing.info_answer.clone(),
    );
    fields
}

/// Every exported field of a filing loaded for an officer: the filing's, the
/// complainant's identity after the declarant's kind, and each round of questions and
/// answers (`exchanges.<n>.question`, `.answer`, numbered from 1) at the end.
pub fn export_fields(
    state: &AppState,
    loaded: &crate::app::backoffice::OfficerLoaded,
    lang: Lang,
) -> Vec<Field> {
    let mut fields = self::fields(state, &loaded.filing, lang);
    complainant_fields(&mut fields, loaded.identity.as_ref());
    attachment_fields(&mut fields, &loaded.attachments);
    for (i, exchange) in loaded.exchanges.iter().enumerate() {
        let n = i + 1;
        fields.push(Field {
            key: format!("exchanges.{n}.question"),
            label: format!("Question {n} to the citizen"),
            value: exchange.question.clone(),
        });
        if let Some(answer) = exchange.answer.clone().filter(|a| !a.is_empty()) {
            fields.push(Field {
                key: format!("exchanges.{n}.answer"),
                label: format!("Citizen's answer {n}"),
                value: answer,
            });
        }
    }
    fields
}

/// Adds the filing's files (`attachments.<n>.name`, `.type`, `.size`, `.sha256`,
/// `.received_at`, `.origin`, numbered from 1), so that the records system files each
/// piece of evidence with the hash of the original as received.
pub fn attachment_fields(
    fields: &mut Vec<Field>,
    attachments: &[persistence::evidence::StoredAttachment],
) {
    for (i, a) in attachments.iter().enumerate() {
        let n = i + 1;
        for (key, label, value) in [
            ("name", "name", a.file_name.clone()),
            ("type", "type", a.kind.media_type().to_owned()),
            ("size", "size (bytes)", a.size.to_string()),
            ("sha256", "SHA-256", a.sha256.clone()),
            ("received_at", "received at", a.created_at.to_rfc3339()),
            ("origin", "origin", a.origin.to_string()),
        ] {
            fields.push(Field {
                key: format!("attachments.{n}.{key}"),
                label: format!("Attachment {n} – {label}"),
                value,
            });
        }
    }
}

/// Adds the complainant's identity after the declarant's kind (`complainant.name`,
/// `complainant.birthdate`, `complainant.address.locality`, `complainant.national_number`
/// as `YY.MM.DD-SSS.CC`...), when one was captured.
pub fn complainant_fields(
    fields: &mut Vec<Field>,
    identity: Option<&(
        domain::filing::ComplainantIdentity,
        chrono::DateTime<chrono::Utc>,
    )>,
) {
    let Some((identity, _)) = identity else {
        return;
    };
    let address = identity.address.clone().unwrap_or_default();
    let national = identity
        .national_number
        .as_ref()
        .map(|n| super::types::formatted_national_number(n.as_str()));
    let values = [
        ("name", "Complainant – name", identity.name.clone()),
        (
            "given_name",
            "Complainant – given names",
            identity.given_name.clone(),
        ),
        (
            "family_name",
            "Complainant – surname",
            identity.family_name.clone(),
        ),
        (
            "birthdate",
            "Complainant – birth date",
            identity.birthdate.clone(),
        ),
        (
            "address.formatted",
            "Complainant – address",
            address.formatted,
        ),
        (
            "address.street_address",
            "Complainant – street",
            address.street_address,
        ),
        (
            "address.postal_code",
            "Complainant – postal code",
            address.postal_code,
        ),
        (
            "address.locality",
            "Complainant – locality",
            address.locality,
        ),
        ("address.region", "Complainant – region", address.region),
        ("address.country", "Complainant – country", address.country),
        ("national_number", "Complainant – national number", national),
        (
            "business_id",
            "Complainant – company number",
            identity.business_id.clone(),
        ),
        (
            "business_name",
            "Complainant – company name",
            identity.business_name.clone(),
        ),
    ];
    let at = fields
        .iter()
        .position(|f| f.key == "declarant")
        .map_or(fields.len(), |i| i + 1);
    let added: Vec<Field> = values
        .into_iter()
        .filter_map(|(key, label, value)| {
            value.filter(|v| !v.is_empty()).map(|value| Field {
                key: format!("complainant.{key}"),
                label: label.to_owned(),
                value,
            })
        })
        .collect();
    fields.splice(at..at, added);
}

/// Text as XML 1.0 character data or attribute value: the five markup characters
/// escaped, and the characters XML 1.0 does not allow at all (C0 controls but tab, line
/// feed and carriage return; U+FFFE, U+FFFF) replaced by U+FFFD, since not even a
/// character reference may name them.
pub fn xml_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            // Line breaks inside attribute values would be normalised away by a parser.
            '\n' => out.push_str("&#10;"),
            '\r' => out.push_str("&#13;"),
            '\t' => out.push_str("&#9;"),
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

/// Text on one line of the text export: every kind of line break (CR, LF, CR LF, NEL,
/// LINE SEPARATOR, PARAGRAPH SEPARATOR, vertical tab, form feed) and every other control
/// character becomes a space, so that no value can start a line of its own (such as a
/// forged `Reference:` line).
pub fn one_line(text: &str) -> String {
    text.chars()
        .map(|c| {
            if c.is_control() || c == '\u{2028}' || c == '\u{2029}' {
                ' '
            } else {
                c
            }
        })
        .collect()
}

/// The XML document of the fields.
pub fn xml(fields: &[Field]) -> String {
    let mut xml = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<filing>\n");
    for f in fields {
        xml.push_str(&format!(
            "  <field key=\"{}\" label=\"{}\">{}</field>\n",
            xml_escape(&f.key),
            xml_escape(&f.label),
            xml_escape(&f.value)
        ));
    }
    xml.push_str("</filing>\n");
    xml
}

/// The text export: one `Label: value` line per field.
pub fn text(fields: &[Field]) -> String {
    fields
        .iter()
        .map(|f| format!("{}: {}\n", one_line(&f.label), one_line(&f.value)))
        .collect()
}

/// The JSON export.
pub fn json(fields: &[Field]) -> serde_json::Value {
    serde_json::json!({
        "fields": fields.iter().map(|f| serde_json::json!({"key": f.key, "label": f.label, "value": f.value})).collect::<Vec<_>>()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field(value: &str) -> Field {
        Field {
            key: "facts.circumstances".into(),
            label: "Circumstances".into(),
            value: value.into(),
        }
    }

    #[test]
    fn no_stored_text_breaks_a_line_of_the_text_export() {
        for breaker in [
            "\r", "\r\n", "\n", "\u{2028}", "\u{2029}", "\u{0085}", "\u{000B}", "\u{000C}",
        ] {
            let out = text(&[field(&format!("Stolen.{breaker}Reference: EC-FORGED"))]);
            assert_eq!(out.lines().count(), 1, "{breaker:?}: {out:?}");
            assert!(out.starts_with("Circumstances: "), "{out:?}");
        }
    }

    #[test]
    fn control_characters_leave_the_xml_well_formed() {
        let out = xml(&[field(
            "a\u{000C}b\u{0007}c\u{000B}d\u{0000}e & <f> \"g\"\nh",
        )]);
        assert!(
            !out.chars().any(|c| (c as u32) < 0x20 && c != '\n'),
            "{out:?}"
        );
        assert!(out
            .contains("a\u{FFFD}b\u{FFFD}c\u{FFFD}d\u{FFFD}e &amp; &lt;f&gt; &quot;g&quot;&#10;h"));
    }
}
