package dev.intakeauth.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.cfg.PackageVersion;
import org.junit.jupiter.api.Test;

class ManifestVersionTest {

  @Test
  void aKnownVersionIsPrintedAsItIs() {
    assertThat(ManifestVersion.line("1.4.0")).isEqualTo("apikey (intake-auth) 1.4.0");
    assertThat(ManifestVersion.line(" 1.4.0\n")).isEqualTo("apikey (intake-auth) 1.4.0");
  }

  @Test
  void noVersionIsADevelopmentBuild() {
    assertThat(ManifestVersion.line(null)).isEqualTo("apikey (intake-auth) development build");
    assertThat(ManifestVersion.line("  ")).isEqualTo("apikey (intake-auth) development build");
  }

  @Test
  void aJarOnTheClassPathGivesItsImplementationVersion() {
    // Jackson's manifest and its generated PackageVersion are written from the same build.
    assertThat(ManifestVersion.of(ObjectMapper.class)).isEqualTo(PackageVersion.VERSION.toString());
  }

  @Test
  void aNamedModuleGivesItsDescriptorsVersion() {
    assertThat(ManifestVersion.of(String.class)).startsWith(Runtime.version().feature() + ".");
  }

  @Test
  void runFromClassesTheToolSaysItIsADevelopmentBuild() {
    assertThat(Cli.run("--version").succeeds()).isEqualTo("apikey (intake-auth) development build" + System.lineSeparator());
  }
}
