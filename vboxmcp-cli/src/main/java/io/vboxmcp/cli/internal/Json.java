package io.vboxmcp.cli.internal;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.json.JsonWriteFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.vboxmcp.PlannedSharedFolder;
import io.vboxmcp.PortForward;
import io.vboxmcp.ProvisioningException;
import io.vboxmcp.SignatureVerificationException;
import io.vboxmcp.SourceConfig;
import io.vboxmcp.SshEndpoint;
import io.vboxmcp.TemplateValidationException;
import io.vboxmcp.VboxmcpException;
import io.vboxmcp.VerificationResult;
import io.vboxmcp.Violation;
import io.vboxmcp.VmPlan;
import io.vboxmcp.template.TemplateInfo;
import io.vboxmcp.trust.KeyFileException;
import io.vboxmcp.trust.PinnedKey;

import java.util.List;
import java.util.Map;

/** The JSON shapes {@code --json} prints. Field names are camelCase and stable; see docs/cli.md. */
final class Json {
    // every character outside ASCII is written as \\uXXXX: the document stays valid JSON, and a bidi override or
    // a C1 control from a template field reaches the terminal as text, not as a control (YML-13)
    static final ObjectMapper MAPPER = JsonMapper.builder().enable(JsonWriteFeature.ESCAPE_NON_ASCII).build();

    private Json() {
    }

    static ObjectNode obj() {
        return MAPPER.createObjectNode();
    }

    static ArrayNode arr() {
        return MAPPER.createArrayNode();
    }

    static String write(ObjectNode node) {
        try {
            return MAPPER.writerWithDefaultPrettyPrinter().writeValueAsString(node);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot write JSON", e);
        }
    }

    static ObjectNode violation(Violation v) {
        return obj().put("file", v.file()).put("line", v.line()).put("column", v.column()).put("pointer", v.pointer())
                .put("message", v.message());
    }

    static ArrayNode violations(List<Violation> vs) {
        ArrayNode a = arr();
        vs.forEach(v -> a.add(violation(v)));
        return a;
    }

    static ObjectNode info(TemplateInfo t) {
        ObjectNode n = obj().put("name", t.name()).put("version", t.version().toString())
                .put("description", t.description()).put("source", t.sourceId()).put("author", t.author());
        ArrayNode tags = n.putArray("tags");
        t.tags().forEach(tags::add);
        return n;
    }

    static ObjectNode key(PinnedKey k) {
        return obj().put("source", k.sourceId()).put("format", k.format()).put("fingerprint", k.fingerprint())
                .put("algorithm", k.algorithm()).put("label", k.label());
    }

    static ObjectNode source(SourceConfig s) {
        ObjectNode n = obj().put("name", s.id()).put("uri", s.uri().toString()).put("priority", s.priority());
        ObjectNode o = n.putObject("options");
        s.options().forEach(o::put);
        return n;
    }

    static ObjectNode verification(VerificationResult r) {
        return obj().put("trusted", r.trusted()).put("manifestDigest", r.manifestDigest())
                .put("signer", r.signerFingerprint()).put("format", r.format()).put("reason", r.reason());
    }

    static ObjectNode plan(VmPlan p) {
        ObjectNode n = obj().put("vm", p.vmName()).put("template", p.template().name())
                .put("version", p.template().version().toString()).put("manifestDigest", p.manifestDigest())
                .put("signer", p.signer()).put("baseImage", p.template().baseImage()).put("driver", p.driverId())
                .put("memoryMb", p.memoryMb()).put("cpus", p.cpus()).put("diskMb", p.diskMb());
        ArrayNode ports = n.putArray("ports");
        for (PortForward f : p.ports()) {
            ports.addObject().put("guest", f.guestPort()).put("host", f.hostPort()).put("address", f.hostAddress());
        }
        ArrayNode shares = n.putArray("sharedFolders");
        for (PlannedSharedFolder f : p.sharedFolders()) {
            shares.addObject().put("name", f.name()).put("hostPath", f.hostPath().toString())
                    .put("guestPath", f.guestPath()).put("readOnly", f.readOnly());
        }
        ObjectNode pk = n.putObject("packages");
        p.template().packages().forEach((m, list) -> {
            ArrayNode a = pk.putArray(m);
            list.forEach(a::add);
        });
        ArrayNode scripts = n.putArray("scripts");
        p.template().scripts().forEach(s -> scripts.addObject().put("name", s.name())
                .put("runAs", s.runAs() == null ? "root" : s.runAs()));
        ArrayNode components = n.putArray("components");
        p.components().forEach(c -> components.addObject().put("name", c.name()).put("version", c.version().toString())
                .put("role", c.role()).put("source", c.sourceId()).put("manifestDigest", c.manifestDigest())
                .put("signer", c.signer()));
        ObjectNode from = n.putObject("provenance");
        p.provenance().forEach(from::put);
        n.put("describe", p.describe());
        return n;
    }

    static ObjectNode ssh(SshEndpoint e) {
        return obj().put("host", e.host()).put("port", e.port()).put("user", e.user())
                .put("privateKey", e.privateKey() == null ? null : e.privateKey().toString())
                .put("hostKey", e.hostKeyPin());
    }

    static ObjectNode ports(Map<Integer, Integer> forwarded) {
        ObjectNode n = obj();
        forwarded.forEach((g, h) -> n.put(String.valueOf(g), h));
        return n;
    }

    /** The {@code "error"} object of a failed command. */
    static ObjectNode error(Throwable t) {
        ObjectNode n = obj();
        if (t instanceof VboxmcpException v) {
            n.put("code", v.code().name()).put("message", v.getMessage());
            v.step().ifPresent(s -> n.put("step", s));
            if (v instanceof TemplateValidationException tv) {
                n.set("violations", violations(tv.violations()));
            }
            if (v instanceof SignatureVerificationException sv && sv.result() != null) {
                n.set("verification", verification(sv.result()));
            }
            if (v instanceof KeyFileException kf) {
                n.put("keysFound", kf.keysFound());
            }
            if (v instanceof ProvisioningException pv) {
                n.put("item", pv.item()).put("exitCode", pv.exitCode());
                ArrayNode last = n.putArray("lastOutput");
                pv.lastOutput().forEach(last::add);
            }
        } else {
            n.put("code", "INTERNAL").put("message", String.valueOf(t.getMessage()));
        }
        return n;
    }
}
