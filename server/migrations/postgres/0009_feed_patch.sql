-- Each feed entry's patch: its document's when the entry was written, and
-- NULL for the area's entries, erasures and redirects, which every device
-- scans. A champion's feed scan reads only its own patches' entries through
-- this index, however busy the other patches are.
ALTER TABLE feed ADD COLUMN patch TEXT;
UPDATE feed SET patch = (
    SELECT d.patch FROM documents d WHERE d.id = feed.doc_id AND d.kind <> 'area'
) WHERE changes IS NOT NULL;
CREATE INDEX feed_patch ON feed (patch, seq);
