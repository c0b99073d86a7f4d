DROP TABLE travel_identities;
