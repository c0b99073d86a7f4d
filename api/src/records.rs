//! The record of processing activities (Directive 2016/680, Art. 24; docs/ACCESS.md) as
//! a document: `domain::processing::Record` (the catalogue's `processing.toml`, the
//! retention periods, the procedures) with what the deployment's configuration adds,
//! rendered as Markdown for the data protection officer. Served by
//! `GET /v1/records-of-processing` and printed by `ecommissariat records-of-processing`.

use domain::catalogue::Catalogue;
use domain::processing::{Deployment, ProcedureRetention, Processing, Record};
use domain::retention::RetentionPolicy;
use std::fmt::Write;

/// The record of this deployment.
pub fn record(
    catalogue: &Catalogue,
    processing: &Processing,
    policy: &RetentionPolicy,
    deployment: Deployment,
) -> Record {
    Record::of(
        processing,
        policy,
        catalogue.procedures.iter().map(|p| p.code.as_str()),
        deployment,
    )
}

fn periods_row(out: &mut String, p: &ProcedureRetention) {
    let _ = writeln!(
        out,
        "| {} | {} | {} | {} | {} | {} |",
        p.procedure, p.draft, p.withdrawn, p.rejected, p.redirected, p.registered
    );
}

fn list(out: &mut String, items: &[String]) {
    for item in items {
        let _ = writeln!(out, "- {item}");
    }
}

/// The record as a Markdown document.
pub fn markdown(record: &Record) -> String {
    let mut out = String::new();
    out.push_str("# Record of processing activities\n\n");
    out.push_str(
        "Directive (EU) 2016/680, Art. 24: the online police station (e-commissariat).\n\n",
    );
    let _ = writeln!(out, "## Controller\n\n{}\n", record.controller);
    let _ = writeln!(
        out,
        "## Data protection officer\n\n{}\n",
        record.dpo_contact
    );
    out.push_str("## Purposes, legal basis, data subjects and categories of data\n\n");
    for p in &record.purposes {
        let _ = writeln!(out, "### {}\n\n{}\n", p.code, p.description);
        let _ = writeln!(out, "Legal basis: {}\n", p.legal_basis);
        out.push_str("Data subjects:\n\n");
        list(&mut out, &p.data_subjects);
        out.push_str("\nCategories of personal data:\n\n");
        list(&mut out, &p.data);
        out.push('\n');
    }
    out.push_str("## Recipients\n\n");
    for r in &record.recipients {
        let _ = writeln!(out, "- `{}`: {}", r.code, r.description);
    }
    let _ = writeln!(
        out,
        "\n## Transfers to third countries\n\n{}\n",
        record.transfers
    );
    let _ = writeln!(out, "## Profiling\n\n{}\n", record.profiling);
    out.push_str("## Time limits for erasure (days)\n\n");
    out.push_str("| procedure | draft | withdrawn | rejected | redirected | registered |\n");
    out.push_str("|---|---|---|---|---|---|\n");
    periods_row(&mut out, &record.retention_defaults);
    for p in &record.retention {
        periods_row(&mut out, p);
    }
    out.push_str("\n`*`: the defaults. How the periods are counted:\n\n");
    list(&mut out, &record.retention_rules);
    let schedule = match record.deployment.erasure_job_interval_secs {
        Some(secs) => format!("The service runs the erasure job every {secs} seconds."),
        None => "The service does not run the erasure job itself: operators run `ecommissariat retention run`.".to_owned(),
    };
    let _ = writeln!(out, "\n{schedule}\n");
    out.push_str("## Security measures (Art. 29)\n\n");
    list(&mut out, &record.security);
    let _ = writeln!(
        out,
        "\n## Deployment\n\nCountries served: {}. Procedures offered: {}.",
        record.deployment.countries.join(", "),
        record.procedures.join(", ")
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_document_names_every_procedure_and_its_periods() {
        let catalogue = Catalogue::builtin().unwrap();
        let policy = crate::startup::retention_policy(&catalogue).unwrap();
        let record = record(
            &catalogue,
            &Processing::shipped().unwrap(),
            &policy,
            Deployment {
                countries: vec!["BE".into()],
                erasure_job_interval_secs: Some(3600),
            },
        );
        let text = markdown(&record);
        for p in &catalogue.procedures {
            assert!(text.contains(&format!("| {} |", p.code)), "{}", p.code);
        }
        assert!(
            text.contains("| online_scam | 30 | 90 | 365 | 365 | 30 |"),
            "{text}"
        );
        assert!(text.contains("every 3600 seconds"));
        assert!(text.contains("records_system"));
    }
}
