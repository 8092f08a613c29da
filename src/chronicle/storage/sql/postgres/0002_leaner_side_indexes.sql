-- Side-table indexes cost most of an insert. The seq indexes served only overwrite deletes,
-- which now delete by the full keys they already know; and a metadata row holds either text
-- or a number, so each typed index only needs the rows of its type.
DROP INDEX event_tags_seq;
DROP INDEX event_meta_seq;
DROP INDEX event_meta_text;
DROP INDEX event_meta_num;
CREATE INDEX event_meta_text ON event_meta (tenant_id, ns, key, vtext, seq) WHERE vtext IS NOT NULL;
CREATE INDEX event_meta_num ON event_meta (tenant_id, ns, key, vnum, seq) WHERE vnum IS NOT NULL;
