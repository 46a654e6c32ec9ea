package io.vboxmcp.cli.internal;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.vboxmcp.SshEndpoint;
import io.vboxmcp.VboxmcpException;
import io.vboxmcp.Vm;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

import java.util.List;
import java.util.TreeMap;

import static io.vboxmcp.cli.internal.VmCommands.checkVmName;
import static io.vboxmcp.cli.internal.VmCommands.find;
import static io.vboxmcp.cli.internal.VmCommands.vmJson;

/** {@code vboxmcp status}: every VM in a table, or one VM in detail. */
@Command(name = "status", header = "Show VMs and their state",
    description = "Shows every VM, or one VM in detail.")
final class StatusCommand extends VboxmcpCommand.Sub {
    @Parameters(index = "0", arity = "0..1", paramLabel = "VM")
    String vm;

    @Override
    int run(Session s) throws VboxmcpException {
        if (vm != null) {
            Vm v = find(s, checkVmName(this, vm));
            ObjectNode n = vmJson(v);
            s.result("name:      " + v.name());
            s.result("state:     " + n.path("state").asText());
            s.result("template:  " + v.plan().template().coordinates() + " (" + v.plan().manifestDigest() + ")");
            s.result("driver:    " + v.plan().driverId());
            s.result("resources: " + v.plan().memoryMb() + " MB memory, " + v.plan().cpus() + " cpus, "
                    + v.plan().diskMb() + " MB disk");
            SshEndpoint e = v.sshEndpoint();
            s.result("ssh:       " + e.user() + "@" + e.host() + ":" + e.port());
            new TreeMap<>(v.forwardedPorts()).forEach((g, h) -> s.result("port:      guest " + g + " -> 127.0.0.1:"
                    + h));
            ObjectNode doc = Json.obj();
            doc.set("vm", n);
            s.emitJson(true, doc);
            return Main.OK;
        }
        List<Vm> all = s.manager().vms();
        ArrayNode a = Json.arr();
        if (all.isEmpty()) {
            s.say("no VMs (create one with 'vboxmcp create')");
        } else {
            String fmt = "%-20s %-10s %-24s %-10s %-16s %s";
            s.result(String.format(fmt, "NAME", "STATE", "TEMPLATE", "DRIVER", "SSH", "PORTS"));
            for (Vm v : all) {
                ObjectNode n = vmJson(v);
                a.add(n);
                StringBuilder ports = new StringBuilder();
                new TreeMap<>(v.forwardedPorts()).forEach((g, h) -> ports.append(ports.length() == 0 ? "" : ",")
                        .append(h).append("->").append(g));
                s.result(String.format(fmt, v.name(), n.path("state").asText(), v.plan().template().coordinates(),
                        v.plan().driverId(), v.sshEndpoint().host() + ":" + v.sshEndpoint().port(), ports));
            }
        }
        ObjectNode doc = Json.obj();
        doc.set("vms", a);
        s.emitJson(true, doc);
        return Main.OK;
    }
}
