package dev.intakeauth.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.jar.Attributes;
import java.util.jar.JarFile;
import org.junit.jupiter.api.Test;

/** The packaged tool, run as a user runs it, prints the version its build wrote into the manifest. */
class ApiKeyVersionIT {

  private static final Path JAR = Path.of("target", "apikey.jar");

  @Test
  void versionComesFromThePackagedJarsManifest() throws IOException, InterruptedException {
    assertThat(JAR).as("the executable jar, built in package").isRegularFile();
    String version;
    try (JarFile jar = new JarFile(JAR.toFile())) {
      version = jar.getManifest().getMainAttributes().getValue(Attributes.Name.IMPLEMENTATION_VERSION);
    }
    assertThat(version).isNotBlank();

    Path java = Path.of(System.getProperty("java.home"), "bin", "java");
    Process process = new ProcessBuilder(java.toString(), "-jar", JAR.toString(), "--version").redirectErrorStream(true).start();
    String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(process.exitValue()).as(out).isZero();
    assertThat(out.strip()).isEqualTo("apikey (intake-auth) " + version);
  }
}
