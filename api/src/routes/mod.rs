//! HTTP handlers, one module per resource. Every route is registered here through
//! `utoipa_actix_web`, so that it is in the OpenAPI document.

pub mod alerts;
pub mod appointments;
pub mod auditlog;
pub mod backoffice;
pub mod catalogue;
pub mod chat;
pub mod credentials;
pub mod dev;
pub mod directory;
pub mod evidence;
pub mod fallback;
pub mod filings;
pub mod guidance;
pub mod health;
pub mod items;
pub mod me;
pub mod meta;
pub mod notifications;
pub mod open311;
pub mod partners;
pub mod processing;
pub mod statistics;
pub mod travel;
pub mod webhooks;

use utoipa_actix_web::scope;
use utoipa_actix_web::service_config::ServiceConfig;

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(health::live)
        .service(health::ready)
        .service(meta::openapi_json)
        .service(meta::openapi_yaml)
        .service(meta::metrics)
        .service(dev::issue_token)
        .service(dev::jwks)
        .service(
            scope::scope("/open311/v2")
                .service(open311::discovery)
                .service(open311::services)
                .service(open311::service_definition)
                .service(open311::create_request)
                .service(open311::list_requests)
                .service(open311::get_request)
                .service(open311::token),
        )
        .service(
            scope::scope("/v1")
                .service(catalogue::list_procedures)
                .service(catalogue::get_procedure)
                .service(catalogue::check_eligibility)
                .service(guidance::get_guidance)
                .service(guidance::list_advice)
                .service(guidance::get_advice)
                .service(directory::list_units)
                .service(directory::get_unit)
                .service(directory::jurisdiction)
                .service(directory::search_municipalities)
                .service(directory::get_unit_contact)
                .service(directory::correct_unit_contact)
                .service(filings::create)
                .service(filings::list)
                .service(filings::get_filing)
                .service(filings::update)
                .service(filings::submit)
                .service(filings::withdraw)
                .service(filings::receipt)
                .service(filings::answer)
                .service(filings::change_preferences)
                .service(evidence::attach_files)
                .service(evidence::list_attachments)
                .service(evidence::download_attachment)
                .service(evidence::uploads::create_upload)
                .service(evidence::uploads::upload_status)
                .service(evidence::uploads::append_upload)
                .service(evidence::unit::unit_list)
                .service(evidence::unit::unit_download)
                .service(evidence::unit::unit_download_original)
                .service(evidence::unit::create_link)
                .service(evidence::unit::list_links)
                .service(evidence::unit::revoke_link)
                .service(evidence::links::upload_with_link)
                .service(alerts::set_cancel_code)
                .service(alerts::raise)
                .service(alerts::add_position)
                .service(alerts::cancel)
                .service(alerts::citizen_stream)
                .service(alerts::unit_stream)
                .service(alerts::get_alert)
                .service(alerts::acknowledge)
                .service(alerts::close)
                .service(alerts::flag_abusive)
                .service(chat::open)
                .service(chat::citizen_socket)
                .service(chat::citizen_events)
                .service(chat::citizen_send)
                .service(chat::accept_proposal)
                .service(chat::desk_socket)
                .service(chat::desk_events)
                .service(chat::desk_act)
                .service(me::export)
                .service(processing::records_of_processing)
                .service(statistics::statistics)
                .service(items::check)
                .service(items::unit::filing_links)
                .service(items::unit::filing_matches)
                .service(items::unit::clusters)
                .service(items::unit::hand_back)
                .service(notifications::list)
                .service(notifications::stream)
                .service(notifications::mark_all_read)
                .service(notifications::mark_read)
                .service(backoffice::queue)
                .service(backoffice::members)
                .service(backoffice::get_unit_filing)
                .service(backoffice::messages::filing_messages)
                .service(backoffice::take_in_charge)
                .service(backoffice::request_info)
                .service(backoffice::register)
                .service(backoffice::reject)
                .service(backoffice::redirect)
                .service(backoffice::transfer)
                .service(backoffice::close)
                .service(backoffice::add_note)
                .service(backoffice::list_notes)
                .service(backoffice::export)
                .service(backoffice::audit_events)
                .service(backoffice::counter_counts::import_counter_counts)
                .service(backoffice::access_restriction::restrict_access)
                .service(backoffice::access_restriction::get_access_restriction)
                .service(backoffice::access_restriction::lift_access_restriction)
                .service(backoffice::restriction::restrict)
                .service(backoffice::restriction::get_restriction)
                .service(backoffice::restriction::lift_restriction)
                .service(backoffice::restriction::list_restrictions)
                .service(auditlog::inclusion)
                .service(auditlog::latest_checkpoint)
                .service(auditlog::consistency)
                .service(auditlog::keys)
                .service(credentials::credential_keys)
                .service(credentials::verify_credential)
                .service(travel::request_travel)
                .service(travel::get_travel)
                .service(travel::take_invitation)
                .service(travel::consent)
                .service(travel::refuse)
                .service(travel::revoke)
                .service(travel::travel_document)
                .service(travel::document_pdf)
                .service(backoffice::travel::travel_queue)
                .service(backoffice::travel::travel_request)
                .service(backoffice::travel::approve_travel)
                .service(backoffice::travel::reject_travel)
                .service(backoffice::travel::revoke_travel)
                .service(partners::register)
                .service(partners::list)
                .service(partners::show)
                .service(partners::disable)
                .service(partners::rotate_secret)
                .service(partners::open311_key)
                .service(webhooks::admin_list)
                .service(webhooks::admin_create)
                .service(webhooks::create)
                .service(webhooks::list)
                .service(webhooks::show)
                .service(webhooks::disable)
                .service(webhooks::deliveries)
                .service(webhooks::redeliver)
                .service(appointments::search_slots)
                .service(appointments::book)
                .service(appointments::list_for_filing)
                .service(appointments::get_appointment)
                .service(appointments::reschedule)
                .service(appointments::cancel)
                .service(appointments::calendar_file)
                .service(appointments::video_room)
                .service(appointments::unit::list_capacities)
                .service(appointments::unit::put_capacity)
                .service(appointments::unit::published_slots)
                .service(appointments::unit::agenda)
                .service(appointments::unit::unit_cancel)
                .service(appointments::unit::no_show)
                .service(appointments::unit::record_outcome)
                .service(appointments::unit::officer_video_room)
                .service(appointments::unit::create_feed)
                .service(appointments::unit::feed),
        );
}
