DROP TABLE directory_shapes;
DROP TABLE directory_coverage;
DROP TABLE directory_units;
DROP TABLE directory_municipalities;
DROP TABLE directory_datasets;
