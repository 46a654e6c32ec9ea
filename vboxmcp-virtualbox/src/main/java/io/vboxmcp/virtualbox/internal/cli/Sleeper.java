package io.vboxmcp.virtualbox.internal.cli;

import java.time.Duration;

/** Waiting between retries and polls, replaceable so tests never sleep. */
@FunctionalInterface
public interface Sleeper {
    Sleeper REAL = d -> Thread.sleep(d.toMillis());

    void sleep(Duration d) throws InterruptedException;
}
