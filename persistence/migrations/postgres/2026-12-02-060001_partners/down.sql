DROP TABLE partner_clients;
DROP TABLE partners;
