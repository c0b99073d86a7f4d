DROP TABLE open311_requests;
DROP TABLE partner_open311_keys;
