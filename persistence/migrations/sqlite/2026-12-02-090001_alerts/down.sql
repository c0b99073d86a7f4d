DROP TABLE alert_cancel_codes;
DROP TABLE alert_events;
DROP TABLE alert_positions;
DROP TABLE alerts;
