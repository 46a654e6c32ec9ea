package io.vboxmcp;

import java.util.List;
import java.util.stream.Collectors;

/**
 * The template document is invalid; {@link #violations()} lists every problem found, not just the first.
 *
 * @since 0.2.0
 */
public class TemplateValidationException extends VboxmcpException {
    private static final long serialVersionUID = 1L;
    /** Every problem found, in document order. */
    private final List<Violation> violations;

    /** @param violations at least one, never null */
    public TemplateValidationException(List<Violation> violations) {
        this(violations, null);
    }

    /**
     * @param violations at least one, never null
     * @param cause      may be null
     */
    public TemplateValidationException(List<Violation> violations, Throwable cause) {
        super(ErrorCode.TEMPLATE_INVALID, describe(violations), cause);
        this.violations = List.copyOf(violations);
    }

    /** @return every violation, in document order, never empty */
    public List<Violation> violations() {
        return violations;
    }

    private static String describe(List<Violation> violations) {
        if (violations.isEmpty()) {
            throw new IllegalArgumentException("a validation exception needs at least one violation");
        }
        return violations.size() + " problem" + (violations.size() == 1 ? "" : "s") + " in template:\n"
                + violations.stream().map(Violation::toString).collect(Collectors.joining("\n"));
    }
}
