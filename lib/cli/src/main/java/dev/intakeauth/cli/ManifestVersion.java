package dev.intakeauth.cli;

import org.jspecify.annotations.Nullable;
import picocli.CommandLine.IVersionProvider;

/**
 * The version {@code apikey --version} prints: the {@code Implementation-Version} of the jar the tool
 * runs from, or its module's version on the module path; "development build" when run from classes
 * that carry neither.
 */
final class ManifestVersion implements IVersionProvider {

  static final String UNKNOWN = "development build";

  @Override
  public String[] getVersion() {
    // This class ships in the same jar and module as the command.
    return new String[] {line(of(ManifestVersion.class))};
  }

  /** The line printed for this version, or for an unknown one when null or blank. */
  static String line(@Nullable String version) {
    return "apikey (intake-auth) " + (version == null || version.isBlank() ? UNKNOWN : version.strip());
  }

  /** The version of the jar or module holding this class; null when it has none. */
  static @Nullable String of(Class<?> type) {
    // A named module's packages carry no manifest attributes; its descriptor carries the version.
    String fromManifest = type.getPackage().getImplementationVersion();
    if (fromManifest != null) {
      return fromManifest;
    }
    Module module = type.getModule();
    return module.isNamed() && module.getDescriptor() != null ? module.getDescriptor().rawVersion().orElse(null) : null;
  }
}
