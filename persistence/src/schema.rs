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
    }
}

diesel::allow_tables_to_appear_in_same_query!(idempotency_keys, audit_events);
