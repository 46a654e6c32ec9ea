package io.vboxmcp.oci.internal;

import com.fasterxml.jackson.databind.JsonNode;
import io.vboxmcp.oci.IndexRefusedException;
import io.vboxmcp.oci.IndexRefusedException.Reason;

import java.time.Instant;
import java.util.List;

/**
 * One publisher's signed, versioned metadata: the template versions it lists (only those its delegation's name
 * patterns cover count, REG-03) and the roles it delegates further. Signed by the keys of the delegation that leads
 * to it, which the lookup checks each time through that delegation (REG-06). Unknown fields are allowed (signed).
 * <pre>{"_type":"vboxmcp-publisher","role":"b-corp","version":3,"expires":"...",
 *  "templates":[{"name":"b-corp-web","version":"1.0.0","digest":"sha256:..", ...}],
 *  "delegations":{"keys":{..},"roles":[..]}}</pre>
 */
record PublisherDocument(String role, long version, Instant expires, List<IndexDocument.Entry> entries,
                         java.util.Set<String> removed, Delegations delegations, byte[] bytes) {
    static final String TYPE = "vboxmcp-publisher";

    static PublisherDocument parse(byte[] bytes) throws IndexRefusedException {
        JsonNode n = Documents.object(bytes, "publisher");
        Documents.type(n, TYPE);
        String role = Documents.text(n, "role");
        if (!Delegations.ROLE.matcher(role).matches()) {
            throw new IndexRefusedException(Reason.MALFORMED, "publisher: '" + OciClient.printable(role)
                    + "' is not a role name");
        }
        return new PublisherDocument(role, Documents.version(n), Documents.instant(n, "expires"),
                IndexDocument.entries(n.get("templates"), "publisher " + role), IndexDocument.removed(n.get("removed")),
                Delegations.parse(n.get("delegations"), "publisher " + role), bytes.clone());
    }

    /**
     * Checks that this metadata may follow {@code older} by the index's rules: no version dropped without
     * {@code removed} (IDX-08), no digest changed (REG-02), no template's highest version lowered (IDX-07).
     */
    void checkSuccessorOf(PublisherDocument older) throws IndexRefusedException {
        asIndex().checkSuccessorOf(older.asIndex());
    }

    private IndexDocument asIndex() {
        return new IndexDocument(version, expires, entries, removed, java.util.Map.of(), bytes);
    }

    /** @return this publisher's entries for {@code name}, in the order listed */
    List<IndexDocument.Entry> entriesOf(String name) {
        return entries.stream().filter(e -> e.name().equals(name)).toList();
    }
}
