package dev.intakeauth.elasticsearch;

import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509ExtendedTrustManager;
import org.jspecify.annotations.Nullable;

/**
 * TLS trust for the Elasticsearch connection: the JVM's trust store, a CA file, a pinned fingerprint,
 * or a CA file and a fingerprint (either anchor suffices). Host names are checked apart, by the HTTP
 * client's host-name verifier (see {@link VerificationMode}).
 */
final class TrustSupport {

  private static final String SERVER_AUTH = "1.3.6.1.5.5.7.3.1";
  private static final String ANY_EXTENDED_KEY_USAGE = "2.5.29.37.0";

  private TrustSupport() {}

  static String normalizeFingerprint(String sha256) {
    String hex = sha256.replace(":", "").strip().toLowerCase(Locale.ROOT);
    if (hex.length() != 64 || !hex.chars().allMatch(c -> (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
      throw new IllegalArgumentException("a certificate fingerprint is 64 hex digits (SHA-256), with or without colons");
    }
    return hex;
  }

  /**
   * The TLS context for these settings, or null where the JVM's default context does (no CA file, no
   * fingerprint, certificates checked).
   */
  static @Nullable SSLContext sslContext(@Nullable Path caPem, @Nullable String fingerprint, VerificationMode mode) {
    try {
      X509ExtendedTrustManager trust;
      if (mode == VerificationMode.NONE) {
        trust = new TrustingEveryone();
      } else if (caPem == null && fingerprint == null) {
        return null;
      } else {
        X509ExtendedTrustManager ca = caPem == null ? null : caTrust(caPem);
        trust = fingerprint == null ? ca : new PinnedAnchorTrustManager(fingerprint, ca);
      }
      SSLContext ssl = SSLContext.getInstance("TLS");
      ssl.init(null, new TrustManager[] {trust}, null);
      return ssl;
    } catch (IOException e) {
      throw new IllegalArgumentException("cannot read the CA certificate file " + caPem + ": " + e.getMessage(), e);
    } catch (GeneralSecurityException e) {
      throw new IllegalArgumentException("cannot use the CA certificate file " + caPem + ": " + e.getMessage(), e);
    }
  }

  private static X509ExtendedTrustManager caTrust(Path pem) throws IOException, GeneralSecurityException {
    KeyStore store = KeyStore.getInstance(KeyStore.getDefaultType());
    store.load(null, null);
    int n = 0;
    try (InputStream in = Files.newInputStream(pem)) {
      for (var cert : CertificateFactory.getInstance("X.509").generateCertificates(in)) {
        store.setCertificateEntry("ca-" + n++, cert);
      }
    }
    if (n == 0) {
      throw new CertificateException("no certificate in the file");
    }
    // The JDK's PKIX trust manager: path building from the presented chain to one of the file's certificates.
    return pkix(store);
  }

  private static X509ExtendedTrustManager pkix(KeyStore anchors) throws GeneralSecurityException {
    TrustManagerFactory tmf = TrustManagerFactory.getInstance("PKIX");
    tmf.init(anchors);
    for (TrustManager tm : tmf.getTrustManagers()) {
      if (tm instanceof X509ExtendedTrustManager x) {
        return x;
      }
    }
    throw new GeneralSecurityException("no X.509 trust manager");
  }

  /** One handshake's check of the server's chain, so the pin and the CA file's manager get the same arguments. */
  @FunctionalInterface
  private interface JdkCheck {
    void check(X509ExtendedTrustManager jdk) throws CertificateException;
  }

  /** A trust manager for the client side of a connection: it checks servers, and refuses to check clients. */
  abstract static class ServerTrustManager extends X509ExtendedTrustManager {
    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
      throw new CertificateException("not a server-side trust manager");
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket) throws CertificateException {
      throw new CertificateException("not a server-side trust manager");
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine) throws CertificateException {
      throw new CertificateException("not a server-side trust manager");
    }
  }

  /**
   * Elastic's {@code ca_trusted_fingerprint}: the pinned fingerprint picks a certificate out of the
   * chain the server presents, and that certificate becomes the trust anchor the rest of the chain must
   * validate to (PKIX, without revocation checks). The pinned certificate must be a CA, unless it is the
   * server's own certificate, whose key the handshake has proven. A chain that merely contains the
   * pinned certificate, after a leaf it did not sign, is refused.
   */
  static final class PinnedAnchorTrustManager extends ServerTrustManager {
    private final byte[] pin;
    private final @Nullable X509ExtendedTrustManager caFile;
    private volatile @Nullable X509ExtendedTrustManager anchored;

    PinnedAnchorTrustManager(String hex, @Nullable X509ExtendedTrustManager caFile) {
      this.pin = HexFormat.of().parseHex(hex);
      this.caFile = caFile;
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
      check(chain, tm -> tm.checkServerTrusted(chain, authType));
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket) throws CertificateException {
      check(chain, tm -> tm.checkServerTrusted(chain, authType, socket));
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine) throws CertificateException {
      check(chain, tm -> tm.checkServerTrusted(chain, authType, engine));
    }

    private void check(X509Certificate[] chain, JdkCheck jdk) throws CertificateException {
      if (chain == null || chain.length == 0) {
        throw new CertificateException("the server presented no certificate");
      }
      CertificateException refused;
      try {
        validateToPin(chain, jdk);
        return;
      } catch (CertificateException e) {
        refused = e;
      }
      if (caFile != null) {
        try {
          jdk.check(caFile);
          return;
        } catch (CertificateException e) {
          e.addSuppressed(refused);
          throw e;
        }
      }
      throw refused;
    }

    private void validateToPin(X509Certificate[] chain, JdkCheck jdk) throws CertificateException {
      int pinned = indexOfPinned(chain);
      if (pinned < 0) {
        throw new CertificateException("no certificate in the server's chain has the trusted fingerprint");
      }
      X509Certificate anchor = chain[pinned];
      // The JDK takes a trust anchor's dates and CA flag on trust; a pinned certificate gets them checked.
      anchor.checkValidity();
      if (pinned > 0 && anchor.getBasicConstraints() < 0) {
        throw new CertificateException("the certificate with the trusted fingerprint is neither a CA nor the server's own certificate");
      }
      requireServerUse(chain[0]);
      // The JDK's own TLS trust manager, anchored at the pinned certificate alone: the PKIX path, and what it
      // asks of a server's certificate for this handshake (key usage, extended key usage, algorithms).
      try {
        jdk.check(anchoredAt(anchor));
      } catch (CertificateException e) {
        throw new CertificateException("the server's certificate does not validate to the certificate with the trusted fingerprint", e);
      }
    }

    /** The JDK's PKIX trust manager trusting only this certificate; kept, as only one certificate has the pin. */
    private X509ExtendedTrustManager anchoredAt(X509Certificate anchor) throws CertificateException {
      X509ExtendedTrustManager cached = anchored;
      if (cached != null) {
        return cached;
      }
      try {
        KeyStore store = KeyStore.getInstance(KeyStore.getDefaultType());
        store.load(null, null);
        store.setCertificateEntry("pinned", anchor);
        cached = pkix(store);
      } catch (IOException | GeneralSecurityException e) {
        throw new CertificateException("cannot make a trust manager for the pinned certificate", e);
      }
      anchored = cached;
      return cached;
    }

    private int indexOfPinned(X509Certificate[] chain) throws CertificateException {
      MessageDigest sha256;
      try {
        sha256 = MessageDigest.getInstance("SHA-256");
      } catch (NoSuchAlgorithmException e) {
        throw new CertificateException(e);
      }
      for (int i = 0; i < chain.length; i++) {
        if (MessageDigest.isEqual(pin, sha256.digest(chain[i].getEncoded()))) {
          return i;
        }
      }
      return -1;
    }

    /** The server certificate's own dates and extended key usage, also where it is the pinned anchor. */
    private static void requireServerUse(X509Certificate leaf) throws CertificateException {
      List<String> uses = leaf.getExtendedKeyUsage();
      if (uses != null && !uses.contains(SERVER_AUTH) && !uses.contains(ANY_EXTENDED_KEY_USAGE)) {
        throw new CertificateException("the server's certificate is not for server authentication (extended key usage)");
      }
      leaf.checkValidity();
    }

    @Override
    public X509Certificate[] getAcceptedIssuers() {
      return caFile == null ? new X509Certificate[0] : caFile.getAcceptedIssuers();
    }
  }

  /** {@link VerificationMode#NONE}: every chain is accepted. */
  private static final class TrustingEveryone extends ServerTrustManager {
    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType) {
      // verification mode none
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket) {
      // verification mode none
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine) {
      // verification mode none
    }

    @Override
    public X509Certificate[] getAcceptedIssuers() {
      return new X509Certificate[0];
    }
  }
}
