DROP TABLE calendar_feeds;
DROP TABLE appointments;
DROP TABLE appointment_capacities;
