-- Reading the change feed decides, for each entry, whether the device may
-- see its document, from the document's kind, patch and devices. This index
-- holds those columns, so the feed scan never reads a document's bytes
-- (stored before `created_seq` in the row, so reading the row would walk
-- through them). Entries' changes are then read only for the documents the
-- device receives.
CREATE INDEX documents_audience ON documents (id, kind, patch, devices, created_seq);
