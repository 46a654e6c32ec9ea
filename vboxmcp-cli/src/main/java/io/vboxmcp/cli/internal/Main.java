package io.vboxmcp.cli.internal;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.vboxmcp.VboxmcpException;
import picocli.CommandLine;

import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.UnsupportedEncodingException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/** Entry point of the {@code vboxmcp} command. Exit status: 0 success, 1 the operation failed, 2 usage error. */
public final class Main {
    static final int OK = 0;
    static final int FAILED = 1;
    static final int USAGE = 2;

    private Main() {
    }

    public static void main(String[] args) {
        // libraries log through slf4j-simple: warnings only, unless --verbose
        boolean verbose = java.util.List.of(args).contains("--verbose") || java.util.List.of(args).contains("-v");
        System.setProperty("org.slf4j.simpleLogger.defaultLogLevel",
                System.getProperty("org.slf4j.simpleLogger.defaultLogLevel", verbose ? "info" : "warn"));
        // MINA SSHD warns about every refused or reset connection while a guest boots: expected, and vboxmcp reports
        // the outcome itself (a timeout names the guest and its console); its errors still show
        String sshd = "org.slf4j.simpleLogger.log.org.apache.sshd";
        System.setProperty(sshd, System.getProperty(sshd, verbose ? "info" : "error"));
        PrintStream out = System.out;
        PrintStream err = System.err;
        if (ProgressDisplay.utf8Locale()) {
            try {
                out = new PrintStream(System.out, true, StandardCharsets.UTF_8.name());
                err = new PrintStream(System.err, true, StandardCharsets.UTF_8.name());
            } catch (UnsupportedEncodingException impossible) {
                throw new IllegalStateException(impossible);
            }
        }
        int code = run(args, out, err);
        out.flush();
        err.flush();
        System.exit(code);
    }

    static int run(String[] args, PrintStream out, PrintStream err) {
        VboxmcpCommand root = new VboxmcpCommand();
        root.streams(out, err);
        CommandLine cl = new CommandLine(root);
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(new PrintWriter(err, true));
        // everything after the VM name is the guest command, options included
        cl.getSubcommands().get("ssh").setStopAtPositional(true);
        boolean jsonRequested = Arrays.asList(args).contains("--json");
        cl.setParameterExceptionHandler((ex, a) -> usage(ex, root, jsonRequested, out, err));
        cl.setExecutionExceptionHandler((ex, cmd, parsed) -> failure(ex, root, out, err));
        int code;
        try {
            code = cl.execute(args);
        } finally {
            Session s = root.sessionIfAny();
            if (s != null) {
                s.close();
            }
        }
        return code;
    }

    private static int usage(CommandLine.ParameterException ex, VboxmcpCommand root, boolean json, PrintStream out,
                             PrintStream err) {
        Session s = root.sessionIfAny();
        if (s != null) {
            s.progress().interrupt();
        }
        if (json) {
            ObjectNode doc = Json.obj().put("ok", false);
            doc.putObject("error").put("code", "USAGE").put("message", ex.getMessage());
            out.println(Json.write(doc));
            return USAGE;
        }
        err.println("error: " + Session.safe(ex.getMessage()));
        CommandLine cmd = ex.getCommandLine();
        CommandLine.UnmatchedArgumentException.printSuggestions(ex, new PrintWriter(err, true));
        String name = cmd.getCommandSpec().qualifiedName(" ");
        err.println("Run '" + name + " --help' for usage.");
        return USAGE;
    }

    private static int failure(Exception ex, VboxmcpCommand root, PrintStream out, PrintStream err) {
        Session s = root.sessionIfAny();
        boolean json = s != null ? s.json() : root.json;
        boolean verbose = s != null ? s.verbose() : root.verbose;
        if (s != null) {
            s.progress().interrupt();
        }
        if (json) {
            ObjectNode doc = Json.obj().put("ok", false);
            doc.set("error", Json.error(ex));
            out.println(Json.write(doc));
        } else if (ex instanceof VboxmcpException v) {
            err.println("error: " + Session.safe(v.getMessage()));
        } else {
            err.println("error: internal error: " + Session.safe(String.valueOf(ex)) + (verbose ? "" : " (run with --verbose for the stack trace)"));
        }
        if (verbose) {
            ex.printStackTrace(err);
        }
        return FAILED;
    }
}
