package io.vboxmcp.cli.internal;

import io.vboxmcp.core.internal.util.RegularFiles;
import io.vboxmcp.libvirt.LibvirtKeys;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ScopeType;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.Properties;
import java.util.concurrent.Callable;

/** The {@code vboxmcp} command: global options and the list of subcommands. */
@Command(name = "vboxmcp", mixinStandardHelpOptions = true,
        versionProvider = VboxmcpCommand.Version.class, usageHelpAutoWidth = true, sortOptions = false,
        description = "Turns versioned, signed VM templates into running, provisioned VMs.",
        footer = {"", "Exit status: 0 success, 1 the operation failed, 2 usage error.",
                "Home folder: --home, else $VBOXMCP_HOME, else ~/.vboxmcp. See docs/cli.md."},
        subcommands = {
                TemplateCommands.Validate.class, TemplateCommands.Init.class, TemplateCommands.Pack.class,
                TemplateCommands.Sign.class, TemplateCommands.Verify.class, PublishCommand.class, IndexCommand.class,
                TrustCommand.class, SourceCommand.class,
                RepoCommands.Install.class, RepoCommands.ListTemplates.class, RepoCommands.Versions.class,
                RepoCommands.Search.class, RepoCommands.Remove.class,
                VmCommands.Plan.class, VmCommands.Create.class, StatusCommand.class, SshCommand.class,
                LifecycleCommands.Stop.class, LifecycleCommands.Destroy.class,
                LockCommands.Lock.class, LockCommands.Update.class,
                ImagesCommand.class,
                AuditCommand.class,
                TestCommand.class,
                McpCommand.class,
                CommandLine.HelpCommand.class})
final class VboxmcpCommand implements Callable<Integer> {
    @Option(names = "--home", paramLabel = "DIR", scope = ScopeType.INHERIT,
            description = "Home folder (default $VBOXMCP_HOME or ~/.vboxmcp).")
    Path home;

    @Option(names = "--json", scope = ScopeType.INHERIT, description = "Print one JSON document on stdout.")
    boolean json;

    @Option(names = {"-q", "--quiet"}, scope = ScopeType.INHERIT, description = "Print only results and errors.")
    boolean quiet;

    @Option(names = {"-v", "--verbose"}, scope = ScopeType.INHERIT,
            description = "Show guest output, details and stack traces.")
    boolean verbose;

    @Option(names = "--libvirt-uri", paramLabel = "URI", scope = ScopeType.INHERIT,
            description = "libvirt connection of the libvirt driver (key libvirt.uri; default $VBOXMCP_LIBVIRT_URI or "
                    + "qemu:///system), e.g. qemu+ssh://user@host/system.")
    String libvirtUri;

    @Spec
    CommandSpec spec;

    private Session session;
    private PrintStream out = System.out;
    private PrintStream err = System.err;

    void streams(PrintStream out, PrintStream err) {
        this.out = out;
        this.err = err;
    }

    /** @return this invocation's session, created on first use */
    Session session() {
        if (session == null) {
            session = new Session(home, json, quiet, verbose, out, err);
            if (libvirtUri != null) {
                session.property(LibvirtKeys.URI, libvirtUri);
            }
        }
        return session;
    }

    /** @return the session if one was created */
    Session sessionIfAny() {
        return session;
    }

    @Override
    public Integer call() {
        throw new CommandLine.ParameterException(spec.commandLine(), "missing command");
    }

    /** Reads the version Maven wrote into vboxmcp-cli.properties. */
    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() throws IOException {
            Properties p = new Properties();
            try (InputStream in = VboxmcpCommand.class.getResourceAsStream("/vboxmcp-cli.properties")) {
                if (in != null) {
                    p.load(in);
                }
            }
            return new String[] {"vboxmcp " + p.getProperty("version", "unknown"),
                    "Java " + System.getProperty("java.version") + " (" + System.getProperty("java.vm.name") + ")"};
        }
    }

    /** Base of every subcommand: finds the session and maps the result to an exit code. */
    abstract static class Sub implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        // not inherited from the root's standard options: 'plan' and 'create' use --version for the template version
        @Option(names = {"-h", "--help"}, usageHelp = true, description = "Show this help message and exit.")
        boolean help;

        @Override
        public final Integer call() throws Exception {
            return run(((VboxmcpCommand) spec.root().userObject()).session());
        }

        /** @return the exit code: 0 success, 1 the operation failed */
        abstract int run(Session s) throws Exception;

        /**
         * @return {@code file} if it is a regular file (not a link, FIFO or device: opening a FIFO blocks forever)
         * @throws CommandLine.ParameterException naming what is there instead (exit 2)
         */
        Path regularInput(Path file, String what) {
            String kind = RegularFiles.kind(file);
            if (kind != null) {
                throw usage(what + " " + file + (kind.equals("absent") ? " does not exist" : " is " + kind
                        + ", not a regular file"));
            }
            return file;
        }

        /** @return a usage error (exit 2) about this command */
        CommandLine.ParameterException usage(String message) {
            return new CommandLine.ParameterException(spec.commandLine(), message);
        }
    }
}
