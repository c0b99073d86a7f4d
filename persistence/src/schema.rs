// Types shared by both backends only (see docs/ARCHITECTURE.md): Text, Integer, BigInt,
// Timestamp (UTC, microseconds).

diesel::table! {
    idempotency_keys (caller, idempotency_key) {
        caller -> Text,
        idempotency_key -> Text,
        request_fingerprint -> Text,
        response_status -> Nullable<Integer>,
        response_headers -> Nullable<Text>,
        response_body -> Nullable<Text>,
        created_at -> Timestamp,
        expires_at -> Timestamp,
    }
}

diesel::table! {
    audit_events (id) {
        id -> BigInt,
        occurred_at -> Timestamp,
        actor_id -> Text,
        actor_role -> Text,
        actor_unit -> Nullable<Text>,
        client_id -> Nullable<Text>,
        operation -> Text,
        object_type -> Text,
        object_id -> Nullable<Text>,
        justification -> Nullable<Text>,
        recipient -> Nullable<Text>,
        outcome -> Text,
        request_id -> Nullable<Text>,
        prev_hash -> Text,
        hash -> Text,
        action -> Text,
    }
}

diesel::table! {
    audit_pending (event_id) {
        event_id -> BigInt,
        occurred_at -> Timestamp,
    }
}

diesel::table! {
    audit_log (log_index) {
        log_index -> BigInt,
        event_id -> BigInt,
        leaf_hash -> Text,
    }
}

diesel::table! {
    audit_nodes (level, idx) {
        level -> Integer,
        idx -> BigInt,
        hash -> Text,
    }
}

diesel::table! {
    audit_checkpoints (tree_size) {
        tree_size -> BigInt,
        root_hash -> Text,
        issued_at -> Timestamp,
        key_id -> Text,
        signature -> Text,
    }
}

diesel::table! {
    directory_datasets (dataset) {
        dataset -> Text,
        version -> Text,
        checksum -> Text,
        imported_at -> Timestamp,
    }
}

diesel::table! {
    directory_municipalities (id) {
        id -> Text,
        dataset -> Text,
        country -> Text,
        code -> Text,
        names -> Text,
        postal_codes -> Text,
        languages -> Text,
        part_of -> Nullable<Text>,
    }
}

diesel::table! {
    directory_former_names (id) {
        id -> BigInt,
        dataset -> Text,
        name -> Text,
        municipality_id -> Text,
        since -> Nullable<Date>,
        kind -> Text,
    }
}

diesel::table! {
    directory_contact_corrections (unit_id) {
        unit_id -> Text,
        contact -> Text,
        corrected_by -> Text,
        corrected_at -> Timestamp,
    }
}

diesel::table! {
    directory_units (id) {
        id -> Text,
        dataset -> Text,
        kind -> Text,
        official_number -> Nullable<Text>,
        country -> Text,
        names -> Text,
        contact -> Text,
        timezone -> Text,
        hours -> Text,
        exceptions -> Text,
        hours_are_default -> Bool,
        valid_from -> Nullable<Date>,
        valid_until -> Nullable<Date>,
        institution -> Nullable<Text>,
        confidence -> Nullable<Text>,
    }
}

diesel::table! {
    directory_coverage (id) {
        id -> BigInt,
        dataset -> Text,
        unit_id -> Text,
        municipality_id -> Text,
        valid_from -> Nullable<Date>,
        valid_until -> Nullable<Date>,
    }
}

diesel::table! {
    directory_shapes (municipality_id) {
        municipality_id -> Text,
        dataset -> Text,
        geometry -> Text,
    }
}

diesel::table! {
    filings (id) {
        id -> Text,
        owner_id -> Text,
        procedure_code -> Text,
        status -> Text,
        version -> BigInt,
        country -> Text,
        declarant -> Text,
        language -> Text,
        place -> Text,
        facts_from -> Nullable<Timestamp>,
        facts_until -> Nullable<Timestamp>,
        facts -> Text,
        answers -> Text,
        contact -> Text,
        confirmation_channel -> Text,
        unit_id -> Nullable<Text>,
        municipality_id -> Nullable<Text>,
        routing -> Nullable<Text>,
        reference -> Nullable<Text>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        submitted_at -> Nullable<Timestamp>,
        assigned_officer -> Nullable<Text>,
        info_request -> Nullable<Text>,
        info_answer -> Nullable<Text>,
        record_number -> Nullable<Text>,
        decision -> Nullable<Text>,
        app_notifications -> Bool,
        channel -> Nullable<Text>,
        erased_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    filing_notes (id) {
        id -> BigInt,
        filing_id -> Text,
        author_id -> Text,
        unit_id -> Text,
        body -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    outbox_messages (id) {
        id -> BigInt,
        filing_id -> Text,
        channel -> Text,
        template -> Text,
        language -> Text,
        payload -> Text,
        created_at -> Timestamp,
        sent_at -> Nullable<Timestamp>,
        status -> Text,
        attempts -> Integer,
        available_at -> Timestamp,
        last_error -> Nullable<Text>,
        claimed_by -> Nullable<Text>,
        claimed_at -> Nullable<Timestamp>,
        batch -> Nullable<Text>,
        topic -> Nullable<Text>,
        endpoint_id -> Nullable<BigInt>,
    }
}

diesel::table! {
    webhook_endpoints (id) {
        id -> BigInt,
        partner_id -> Text,
        url -> Text,
        event_types -> Text,
        description -> Text,
        created_at -> Timestamp,
        disabled_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    webhook_attempts (id) {
        id -> BigInt,
        outbox_id -> BigInt,
        endpoint_id -> BigInt,
        attempted_at -> Timestamp,
        status_code -> Nullable<Integer>,
        error -> Nullable<Text>,
        duration_ms -> BigInt,
    }
}

diesel::table! {
    rate_counters (key, window_start) {
        key -> Text,
        window_start -> Timestamp,
        count -> BigInt,
    }
}

diesel::allow_tables_to_appear_in_same_query!(outbox_messages, webhook_endpoints, webhook_attempts);

diesel::table! {
    filing_history (id) {
        id -> BigInt,
        filing_id -> Text,
        occurred_at -> Timestamp,
        from_status -> Nullable<Text>,
        to_status -> Text,
        action -> Text,
        actor_role -> Text,
        actor_id -> Text,
    }
}

diesel::table! {
    unit_members (unit_id, officer_id) {
        unit_id -> Text,
        officer_id -> Text,
        name -> Nullable<Text>,
        role -> Text,
        first_seen_at -> Timestamp,
        last_seen_at -> Timestamp,
    }
}

diesel::table! {
    record_sequences (unit_id, year) {
        unit_id -> Text,
        year -> Integer,
        last_value -> BigInt,
    }
}

diesel::table! {
    filing_identities (filing_id) {
        filing_id -> Text,
        key_id -> Text,
        sealed -> Text,
        captured_at -> Timestamp,
    }
}

diesel::table! {
    appointment_capacities (unit_id, kind) {
        unit_id -> Text,
        kind -> Text,
        duration_minutes -> Integer,
        desks -> Integer,
        weekly -> Text,
        exceptions -> Text,
        change_cutoff_minutes -> Integer,
        min_notice_minutes -> Integer,
        horizon_days -> Integer,
        timezone -> Text,
        active -> Integer,
        version -> BigInt,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    filing_exchanges (id) {
        id -> BigInt,
        filing_id -> Text,
        asked_at -> Timestamp,
        asked_by -> Text,
        question -> Text,
        answered_at -> Nullable<Timestamp>,
        answer -> Nullable<Text>,
    }
}

diesel::table! {
    notifications (id) {
        id -> Text,
        owner_id -> Text,
        seq -> BigInt,
        filing_id -> Text,
        event -> Text,
        payload -> Text,
        created_at -> Timestamp,
        read_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    appointments (id) {
        id -> Text,
        filing_id -> Text,
        owner_id -> Text,
        unit_id -> Text,
        kind -> Text,
        starts_at -> Timestamp,
        ends_at -> Timestamp,
        status -> Text,
        cancelled_by -> Nullable<Text>,
        reason -> Nullable<Text>,
        outcome -> Nullable<Text>,
        officer_id -> Nullable<Text>,
        identity_document -> Nullable<Text>,
        version -> BigInt,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    calendar_feeds (unit_id) {
        unit_id -> Text,
        token_hash -> Text,
        created_by -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    partners (id) {
        id -> Text,
        name -> Text,
        kind -> Text,
        unit_id -> Nullable<Text>,
        origins -> Text,
        scopes -> Text,
        quota_per_minute -> BigInt,
        secret -> Text,
        secret_rotated_at -> Timestamp,
        previous_secret -> Nullable<Text>,
        previous_secret_until -> Nullable<Timestamp>,
        disabled_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    lost_property_offices (partner_id) {
        partner_id -> Text,
        municipality_id -> Text,
    }
}

diesel::table! {
    partner_clients (client_id) {
        client_id -> Text,
        partner_id -> Text,
    }
}

diesel::joinable!(partner_clients -> partners (partner_id));
diesel::allow_tables_to_appear_in_same_query!(partners, partner_clients);

diesel::allow_tables_to_appear_in_same_query!(audit_events, audit_log, audit_pending, filings);
diesel::joinable!(filing_history -> filings (filing_id));
diesel::joinable!(appointments -> filings (filing_id));
diesel::table! {
    filing_restrictions (filing_id) {
        filing_id -> Text,
        restricted_at -> Timestamp,
        restricted_by -> Text,
        reason -> Text,
        review_on -> Timestamp,
    }
}

diesel::joinable!(filing_restrictions -> filings (filing_id));
diesel::table! {
    filing_access_restrictions (filing_id) {
        filing_id -> Text,
        restricted_at -> Timestamp,
        restricted_by -> Text,
        reason -> Text,
        review_on -> Timestamp,
    }
}

diesel::joinable!(filing_access_restrictions -> filings (filing_id));
diesel::allow_tables_to_appear_in_same_query!(filing_access_restrictions, filings);
diesel::allow_tables_to_appear_in_same_query!(
    appointments,
    filings,
    filing_restrictions,
    filing_history,
    filing_identities,
    filing_exchanges,
    filing_notes,
    notifications,
    outbox_messages,
    record_sequences,
    unit_members
);

diesel::table! {
    alerts (id) {
        id -> Text,
        citizen_id -> Text,
        client_id -> Nullable<Text>,
        kind -> Text,
        text -> Nullable<Text>,
        country -> Nullable<Text>,
        first_unit_id -> Text,
        unit_id -> Text,
        status -> Text,
        raised_at -> Timestamp,
        routed_at -> Timestamp,
        escalated_at -> Nullable<Timestamp>,
        acknowledged_at -> Nullable<Timestamp>,
        acknowledged_by -> Nullable<Text>,
        ended_at -> Nullable<Timestamp>,
        ended_by -> Nullable<Text>,
        cancel_failures -> Integer,
    }
}

diesel::table! {
    alert_positions (id) {
        id -> BigInt,
        alert_id -> Text,
        lat -> Double,
        lon -> Double,
        accuracy_m -> Nullable<Double>,
        recorded_at -> Timestamp,
    }
}

diesel::table! {
    alert_events (seq) {
        seq -> BigInt,
        alert_id -> Text,
        unit_id -> Text,
        event -> Text,
        at -> Timestamp,
    }
}

diesel::table! {
    alert_cancel_codes (citizen_id) {
        citizen_id -> Text,
        code_sealed -> Text,
        updated_at -> Timestamp,
    }
}

diesel::allow_tables_to_appear_in_same_query!(alerts, alert_positions, alert_events);

diesel::table! {
    filing_supplements (id) {
        id -> Text,
        filing_id -> Text,
        origin -> Text,
        text -> Nullable<Text>,
        actor_role -> Text,
        actor_id -> Text,
        created_at -> Timestamp,
        seen_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    attachments (id) {
        id -> Text,
        filing_id -> Text,
        supplement_id -> Nullable<Text>,
        origin -> Text,
        state -> Text,
        file_name -> Text,
        media_kind -> Nullable<Text>,
        size_bytes -> BigInt,
        sha256 -> Nullable<Text>,
        stripped -> Bool,
        viewing_size -> Nullable<BigInt>,
        key_id -> Text,
        data_key -> Text,
        uploaded_by_role -> Text,
        uploaded_by -> Text,
        link_id -> Nullable<Text>,
        created_at -> Timestamp,
        completed_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    upload_links (id) {
        id -> Text,
        filing_id -> Text,
        unit_id -> Text,
        token_hash -> Text,
        created_by -> Text,
        created_at -> Timestamp,
        expires_at -> Timestamp,
        max_uses -> Integer,
        uses -> Integer,
        revoked_at -> Nullable<Timestamp>,
        revoked_by -> Nullable<Text>,
    }
}

diesel::table! {
    resumable_uploads (id) {
        id -> Text,
        filing_id -> Text,
        owner_id -> Text,
        file_name -> Text,
        declared_type -> Nullable<Text>,
        length -> BigInt,
        received -> BigInt,
        parts -> Text,
        key_id -> Text,
        data_key -> Text,
        created_at -> Timestamp,
        expires_at -> Timestamp,
    }
}

diesel::allow_tables_to_appear_in_same_query!(
    attachments,
    filing_supplements,
    upload_links,
    resumable_uploads,
    filings
);

// Items as records (issue 20). `lat`/`lon` are `Double` as the alerts' positions are
// (REAL on SQLite, DOUBLE PRECISION on PostgreSQL): matching compares distances.
diesel::table! {
    items (id) {
        id -> BigInt,
        filing_id -> Text,
        position -> Integer,
        role -> Text,
        category -> Text,
        brand -> Nullable<Text>,
        model -> Nullable<Text>,
        colour -> Nullable<Text>,
        description -> Nullable<Text>,
        serial_typed -> Nullable<Text>,
        lat -> Nullable<Double>,
        lon -> Nullable<Double>,
        municipality_id -> Nullable<Text>,
        occurred_at -> Nullable<Timestamp>,
        recovered_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    item_identifiers (id) {
        id -> BigInt,
        filing_id -> Text,
        item_position -> Nullable<Integer>,
        kind -> Text,
        normalised -> Text,
        typed -> Text,
    }
}

diesel::table! {
    item_fingerprints (filing_id) {
        filing_id -> Text,
        fingerprint -> Text,
    }
}

diesel::table! {
    item_checks (day, kind, outcome) {
        day -> Text,
        kind -> Text,
        outcome -> Text,
        count -> BigInt,
    }
}

diesel::table! {
    item_backfills (name) {
        name -> Text,
        done_at -> Timestamp,
    }
}

diesel::joinable!(items -> filings (filing_id));
diesel::joinable!(item_identifiers -> filings (filing_id));
diesel::allow_tables_to_appear_in_same_query!(items, item_identifiers, filings);

diesel::table! {
    item_match_notices (lost_filing_id, found_filing_id) {
        lost_filing_id -> Text,
        found_filing_id -> Text,
        notified_at -> Timestamp,
    }
}

diesel::table! {
    chat_conversations (id) {
        id -> Text,
        desk_unit_id -> Text,
        country -> Text,
        topic -> Text,
        language -> Text,
        anonymous -> Integer,
        status -> Text,
        opened_at -> Timestamp,
        taken_at -> Nullable<Timestamp>,
        closed_at -> Nullable<Timestamp>,
        wait_secs -> Nullable<BigInt>,
        agent_id -> Nullable<Text>,
        transfers -> Integer,
        outcome -> Nullable<Text>,
        last_activity_at -> Timestamp,
        token_hash -> Nullable<Text>,
        citizen_id -> Nullable<Text>,
    }
}

diesel::table! {
    chat_agents (agent_id, desk_unit_id) {
        agent_id -> Text,
        desk_unit_id -> Text,
        status -> Text,
        languages -> Text,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    travel_requests (id) {
        id -> Text,
        requester_id -> Text,
        second_holder_id -> Nullable<Text>,
        unit_id -> Text,
        municipality -> Text,
        status -> Text,
        sealed_request -> Text,
        language -> Text,
        sole_holder -> Integer,
        decision_reason -> Nullable<Text>,
        decided_by -> Nullable<Text>,
        decided_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        trip_ends_at -> Nullable<Timestamp>,
        erased_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    partner_open311_keys (key_hash) {
        key_hash -> Text,
        partner_id -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    travel_identities (request_id, party) {
        request_id -> Text,
        party -> Text,
        assurance -> Text,
        sealed -> Text,
        captured_at -> Timestamp,
    }
}

diesel::table! {
    travel_invitations (token_hash) {
        token_hash -> Text,
        request_id -> Text,
        expires_at -> Timestamp,
        used_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    travel_documents (id) {
        id -> Text,
        request_id -> Text,
        unit_id -> Text,
        issued_at -> Timestamp,
        issued_by -> Text,
        credential -> Text,
        revoked_at -> Nullable<Timestamp>,
        revoked_by -> Nullable<Text>,
        revoked_as -> Nullable<Text>,
        revocation_reason -> Nullable<Text>,
    }
}

diesel::table! {
    open311_requests (filing_id) {
        filing_id -> Text,
        service_request_id -> Text,
        token -> Text,
        partner_id -> Text,
        service_code -> Text,
        requested_at -> Timestamp,
        coarse_lat -> Double,
        coarse_lon -> Double,
    }
}

diesel::joinable!(open311_requests -> filings (filing_id));
diesel::allow_tables_to_appear_in_same_query!(open311_requests, filings);

diesel::table! {
    statistics_filings (filing_id) {
        filing_id -> Text,
        month -> Text,
        week -> Text,
        procedure_code -> Text,
        country -> Text,
        unit_id -> Text,
        municipality_id -> Text,
        in_charge_bucket -> Nullable<BigInt>,
        end_bucket -> Nullable<BigInt>,
        registered -> BigInt,
        rejected -> BigInt,
        redirected -> BigInt,
    }
}

diesel::table! {
    statistics_summary (month, week, procedure_code, country, unit_id, municipality_id) {
        month -> Text,
        week -> Text,
        procedure_code -> Text,
        country -> Text,
        unit_id -> Text,
        municipality_id -> Text,
        submitted -> BigInt,
        registered -> BigInt,
        rejected -> BigInt,
        redirected -> BigInt,
        in_charge_hours -> Text,
        end_hours -> Text,
    }
}

diesel::table! {
    statistics_state (id) {
        id -> BigInt,
        started_at -> Timestamp,
        generation -> BigInt,
        changes_from -> Nullable<BigInt>,
    }
}

diesel::table! {
    statistics_changes (generation, month, week, procedure_code, country, unit_id, municipality_id) {
        generation -> BigInt,
        month -> Text,
        week -> Text,
        procedure_code -> Text,
        country -> Text,
        unit_id -> Text,
        municipality_id -> Text,
    }
}

diesel::allow_tables_to_appear_in_same_query!(statistics_changes, statistics_summary);

diesel::table! {
    counter_counts (unit_id, procedure_code, month) {
        unit_id -> Text,
        procedure_code -> Text,
        month -> Text,
        country -> Text,
        count -> BigInt,
        imported_at -> Timestamp,
        imported_by -> Text,
    }
}
