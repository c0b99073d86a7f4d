DROP TABLE lost_property_offices;
