package io.vboxmcp.core.internal.search;

import io.vboxmcp.SemanticVersion;
import io.vboxmcp.VboxmcpException;
import io.vboxmcp.VersionFormatException;
import io.vboxmcp.template.TemplateInfo;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class TemplateQueryTest {
    static TemplateInfo t(String name, String version, String description, String author, String... tags)
            throws VboxmcpException {
        return new TemplateInfo(name, SemanticVersion.parse(version), description, List.of(tags), "src", author);
    }

    final List<TemplateInfo> all;

    TemplateQueryTest() throws VboxmcpException {
        all = List.of(
                t("python-dev", "1.0.0", "Python development VM", "Ann", "python", "dev"),
                t("python-dev", "2.0.0", "Python development VM", "Ann", "python", "dev"),
                t("web", "1.0.0", "A web server", "Bob", "http"),
                t("django", "1.0.0", "Web framework VM with python", "Carl", "web", "python"),
                t("webtools", "0.1.0", "Tools", "Bob", "misc"));
    }

    static List<String> names(List<TemplateInfo> l) {
        return l.stream().map(i -> i.name() + "@" + i.version()).toList();
    }

    @Test
    void words_rankExactNameThenTagThenNameThenText() throws VboxmcpException {
        assertThat(names(TemplateQuery.parse("web").apply(all)))
                .containsExactly("web@1.0.0", "django@1.0.0", "webtools@0.1.0");
    }

    @Test
    void everyWordMustMatch_newestVersionFirstWithinARank() throws VboxmcpException {
        assertThat(names(TemplateQuery.parse("python development").apply(all)))
                .containsExactly("python-dev@2.0.0", "python-dev@1.0.0");
        assertThat(TemplateQuery.parse("python nothing-like-this").apply(all)).isEmpty();
    }

    @Test
    void tagAuthorAndRanges_filter() throws VboxmcpException {
        assertThat(names(TemplateQuery.parse("tag:python author:carl").apply(all))).containsExactly("django@1.0.0");
        assertThat(names(TemplateQuery.parse("python-dev@^1").apply(all))).containsExactly("python-dev@1.0.0");
        assertThat(names(TemplateQuery.parse("version:>=1 author:bob").apply(all))).containsExactly("web@1.0.0");
        assertThat(TemplateQuery.parse("").apply(all)).hasSize(5);
    }

    @Test
    void badRange_isATypedError() {
        assertThatThrownBy(() -> TemplateQuery.parse("version:>>1")).isInstanceOf(VersionFormatException.class);
    }
}
