package io.vboxmcp.virtualbox.internal.ws;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A tiny scripted model of vboxwebsrv 7.x, answering operations by name with the parameters a client sent.
 * Served two ways: over real SOAP by {@link FakeVboxWebServer}, and in-process through a Proxy port
 * ({@link #proxyPort()}). Records every call as {@code Op(param=value, ...)}.
 */
final class FakeVboxWebService {
    /** A SOAP fault to send: a RuntimeFault when {@code resultCode} is non-null. */
    static final class Fault extends RuntimeException {
        private static final long serialVersionUID = 1L;
        final Integer resultCode;

        Fault(String text, Integer resultCode) {
            super(text);
            this.resultCode = resultCode;
        }
    }

    String apiVersion = "7_1";
    String version = "7.1.4";
    String user = "mcp";
    String password = "s3cret";
    boolean masterHasSnapshot = true;
    int progressResult = 0;
    final List<String> calls = new CopyOnWriteArrayList<>();
    final List<Map<String, List<String>>> params = new CopyOnWriteArrayList<>();
    final Map<String, String> names = new HashMap<>();
    final Map<String, String> states = new HashMap<>();
    final Map<String, String> registered = new LinkedHashMap<>();
    final List<String> redirects = new ArrayList<>(List.of("ssh,1,127.0.0.1,2222,,22"));
    String lockedBy;
    int attachAttempts;

    FakeVboxWebService() {
        names.put("mor-master", "vboxmcp-master-0123456789abcdef");
        states.put("mor-master", "PoweredOff");
        registered.put("vboxmcp-master-0123456789abcdef", "mor-master");
    }

    synchronized List<String> call(String op, Map<String, List<String>> p) {
        StringBuilder b = new StringBuilder(op).append('(');
        p.forEach((k, v) -> b.append(k).append('=').append(v.size() == 1 ? v.get(0) : v.toString()).append(", "));
        calls.add(b.toString().replaceAll(", $", "") + ")");
        params.add(p);
        String self = one(p, "_this");
        switch (op) {
            case "IWebsessionManager_logon":
                if (!user.equals(one(p, "username")) || !password.equals(one(p, "password"))) {
                    throw new Fault("Invalid username or password", null);
                }
                return List.of("4e3b1a2c9d8f7e61-0000000000000001");
            case "IWebsessionManager_getSessionObject":
                return List.of("4e3b1a2c9d8f7e61-0000000000000002");
            case "IWebsessionManager_logoff":
                return List.of();
            case "IVirtualBox_getAPIVersion":
                return List.of(apiVersion);
            case "IVirtualBox_getVersion":
                return List.of(version);
            case "IVirtualBox_getMachines":
                return List.copyOf(registered.values());
            case "IVirtualBox_findMachine": {
                String m = registered.get(one(p, "nameOrId"));
                if (m == null) {
                    m = registered.values().stream().filter(v -> ("id-" + v).equals(one(p, "nameOrId"))).findFirst().orElse(null);
                }
                if (m == null) {
                    throw new Fault("VirtualBox error: Could not find a registered machine named '" + one(p, "nameOrId")
                            + "' (0x80BB0001)", 0x80bb0001);
                }
                return List.of(m);
            }
            case "IVirtualBox_createMachine": {
                String mor = "mor-" + one(p, "name");
                names.put(mor, one(p, "name"));
                states.put(mor, "PoweredOff");
                return List.of(mor);
            }
            case "IVirtualBox_registerMachine":
                registered.put(names.get(one(p, "machine")), one(p, "machine"));
                return List.of();
            case "IVirtualBox_openMedium":
                return List.of("mor-medium-iso");
            case "IMachine_getName":
                return List.of(names.get(self));
            case "IMachine_getId":
                return List.of("id-" + self);
            case "IMachine_getState":
                return List.of(states.get(self));
            case "IMachine_getOSTypeId":
                return List.of("Ubuntu_64");
            case "IMachine_findSnapshot":
                if (!masterHasSnapshot) {
                    throw new Fault("VirtualBox error: Could not find a snapshot named 'base'", 0x80bb0001);
                }
                return List.of("mor-snapshot-base");
            case "ISnapshot_getMachine":
                return List.of("mor-snapshot-machine");
            case "IMachine_cloneTo":
            case "IMachine_launchVMProcess":
            case "IConsole_powerDown":
            case "IMachine_deleteConfig":
            case "IMachine_takeSnapshot":
                return progress(op, p, self);
            case "IMachine_lockMachine":
                if (lockedBy != null) {
                    throw new Fault("VirtualBox error: The machine is already locked by a session", 0x80bb0007);
                }
                lockedBy = self;
                return List.of();
            case "ISession_unlockMachine":
                lockedBy = null;
                return List.of();
            case "ISession_getMachine":
                return List.of("mutable-" + lockedBy);
            case "ISession_getConsole":
                return List.of("mor-console");
            case "IConsole_powerButton":
                states.put(lockedBy, "PoweredOff");
                return List.of();
            case "IMachine_getNetworkAdapter":
                return List.of("mor-nic-" + one(p, "slot"));
            case "INetworkAdapter_getNATEngine":
                return List.of("mor-nat");
            case "INATEngine_getRedirects":
                return List.copyOf(redirects);
            case "INATEngine_removeRedirect":
                redirects.removeIf(r -> r.startsWith(one(p, "name") + ","));
                return List.of();
            case "IMachine_getStorageControllers":
                return List.of("mor-ctl-sata");
            case "IStorageController_getName":
                return List.of("SATA Controller");
            case "IStorageController_getBus":
                return List.of("SATA");
            case "IMachine_attachDevice":
                if (attachAttempts++ == 0) {
                    throw new Fault("VirtualBox error: Medium already attached to port 1", 0x80bb000c);
                }
                return List.of();
            case "IMachine_unregister":
                registered.values().remove(self);
                return List.of("mor-medium-disk");
            case "IProgress_waitForCompletion":
                return List.of();
            case "IProgress_getResultCode":
                return List.of(String.valueOf(progressResult));
            case "IProgress_getErrorInfo":
                return List.of("mor-errorinfo");
            case "IVirtualBoxErrorInfo_getText":
                return List.of("Could not clone: disk full");
            default:
                if (op.contains("_set") || op.equals("IMachine_saveSettings") || op.equals("INATEngine_addRedirect")
                        || op.equals("IMachine_createSharedFolder") || op.equals("IMachine_addStorageController")) {
                    return op.equals("IMachine_addStorageController") ? List.of("mor-ctl-ide") : List.of();
                }
                throw new Fault("Method '" + op + "' not implemented", null);
        }
    }

    private List<String> progress(String op, Map<String, List<String>> p, String self) {
        if (op.equals("IMachine_launchVMProcess")) {
            states.put(self, "Running");
            lockedBy = self;
        } else if (op.equals("IConsole_powerDown")) {
            states.put(lockedBy, "PoweredOff");
        }
        return List.of("mor-progress-" + op);
    }

    private static String one(Map<String, List<String>> p, String k) {
        List<String> v = p.get(k);
        return v == null || v.isEmpty() ? null : v.get(0);
    }

    /** A VboxWebPort backed by this model directly: the {@code java.lang.reflect.Proxy} port of the notes (§3.6). */
    VboxWebPort proxyPort() {
        return (VboxWebPort) java.lang.reflect.Proxy.newProxyInstance(VboxWebPort.class.getClassLoader(),
                new Class<?>[] {VboxWebPort.class}, (proxy, method, args) -> {
                    String op = method.getAnnotation(SoapOp.class).value();
                    Map<String, List<String>> p = new LinkedHashMap<>();
                    java.lang.annotation.Annotation[][] ann = method.getParameterAnnotations();
                    for (int i = 0; args != null && i < args.length; i++) {
                        String name = ((SoapParam) ann[i][0]).value();
                        if (args[i] instanceof List<?> l) {
                            p.put(name, l.stream().map(String::valueOf).toList());
                        } else if (args[i] != null) {
                            p.put(name, List.of(String.valueOf(args[i])));
                        }
                    }
                    List<String> out;
                    try {
                        out = call(op, p);
                    } catch (Fault f) {
                        throw new WebServiceFault(op, f.getMessage(), f.resultCode);
                    }
                    Class<?> t = method.getReturnType();
                    if (t == void.class) {
                        return null;
                    } else if (t == List.class) {
                        return out;
                    } else if (t == int.class) {
                        return Integer.parseInt(out.get(0));
                    }
                    return out.get(0);
                });
    }
}
