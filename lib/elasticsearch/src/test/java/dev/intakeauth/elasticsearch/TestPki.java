package dev.intakeauth.elasticsearch;

import java.io.IOException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.net.Socket;
import java.security.MessageDigest;
import java.security.Principal;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Date;
import java.util.HexFormat;
import java.util.List;
import javax.net.ssl.KeyManager;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.X509ExtendedKeyManager;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/** Certificate authorities and server certificates made in the test, for real TLS handshakes. */
final class TestPki {

  private static final SecureRandom RANDOM = new SecureRandom();

  private TestPki() {}

  /** A key and its certificate. */
  record Issued(KeyPair keys, X509Certificate certificate) {

    /** SHA-256 of the DER certificate, as Elasticsearch prints it: colon-separated upper-case hex. */
    String fingerprint() {
      try {
        return HexFormat.ofDelimiter(":").withUpperCase().formatHex(MessageDigest.getInstance("SHA-256").digest(certificate.getEncoded()));
      } catch (GeneralSecurityException e) {
        throw new IllegalStateException(e);
      }
    }
  }

  /** A self-signed CA. */
  static Issued ca(String commonName) {
    KeyPair keys = keyPair();
    return new Issued(keys, build(commonName, keys, commonName, keys, true, List.of()));
  }

  /**
   * A server certificate issued by {@code issuer}, for these names: {@code ip:127.0.0.1} or
   * {@code dns:localhost}.
   */
  static Issued server(Issued issuer, String commonName, String... names) {
    KeyPair keys = keyPair();
    String issuerName = issuer.certificate().getSubjectX500Principal().getName();
    return new Issued(keys, build(commonName, keys, issuerName, issuer.keys(), false, List.of(names)));
  }

  /** A self-signed server certificate (not a CA), for these names. */
  static Issued selfSignedServer(String commonName, String... names) {
    KeyPair keys = keyPair();
    return new Issued(keys, build(commonName, keys, commonName, keys, false, List.of(names)));
  }

  /**
   * A server-side TLS context presenting {@code key}'s certificate followed by {@code rest}, in that
   * order, whether or not they form a chain (a key store would refuse a chain a man in the middle sends).
   */
  static SSLContext serverContext(Issued key, X509Certificate... rest) {
    List<X509Certificate> chain = new ArrayList<>();
    chain.add(key.certificate());
    chain.addAll(List.of(rest));
    X509Certificate[] presented = chain.toArray(X509Certificate[]::new);
    X509ExtendedKeyManager keys = new X509ExtendedKeyManager() {
      @Override
      public String chooseEngineServerAlias(String keyType, Principal[] issuers, SSLEngine engine) {
        return chooseServerAlias(keyType, issuers, null);
      }

      @Override
      public String chooseServerAlias(String keyType, Principal[] issuers, Socket socket) {
        return key.keys().getPrivate().getAlgorithm().equals(keyType) ? "server" : null;
      }

      @Override
      public String[] getServerAliases(String keyType, Principal[] issuers) {
        return new String[] {"server"};
      }

      @Override
      public X509Certificate[] getCertificateChain(String alias) {
        return presented.clone();
      }

      @Override
      public PrivateKey getPrivateKey(String alias) {
        return key.keys().getPrivate();
      }

      @Override
      public String[] getClientAliases(String keyType, Principal[] issuers) {
        return new String[0];
      }

      @Override
      public String chooseClientAlias(String[] keyType, Principal[] issuers, Socket socket) {
        return null;
      }
    };
    try {
      SSLContext ssl = SSLContext.getInstance("TLS");
      ssl.init(new KeyManager[] {keys}, null, null);
      return ssl;
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }

  /**
   * A certificate with every choice open: {@code issuer} null for self-signed, {@code pathLength} -1 for
   * a leaf (a CA otherwise, {@code Integer.MAX_VALUE} for no limit), {@code permittedDns} a DNS name
   * constraint (null for none), and its validity period.
   */
  static Issued custom(TestPki.Issued issuer, String commonName, int pathLength, String permittedDns, Instant notBefore, Instant notAfter,
      String... names) {
    KeyPair keys = keyPair();
    KeyPair issuerKeys = issuer == null ? keys : issuer.keys();
    String issuerName = issuer == null ? "CN=" + commonName : issuer.certificate().getSubjectX500Principal().getName();
    try {
      X509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(new X500Name(issuerName), new BigInteger(64, RANDOM),
          Date.from(notBefore), Date.from(notAfter), new X500Name("CN=" + commonName), keys.getPublic());
      JcaX509ExtensionUtils ext = new JcaX509ExtensionUtils();
      b.addExtension(Extension.subjectKeyIdentifier, false, ext.createSubjectKeyIdentifier(keys.getPublic()));
      b.addExtension(Extension.authorityKeyIdentifier, false, ext.createAuthorityKeyIdentifier(issuerKeys.getPublic()));
      if (pathLength >= 0) {
        b.addExtension(Extension.basicConstraints, true, pathLength == Integer.MAX_VALUE ? new BasicConstraints(true) : new BasicConstraints(pathLength));
        b.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign));
      } else {
        b.addExtension(Extension.basicConstraints, true, new BasicConstraints(false));
        b.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature));
        b.addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(KeyPurposeId.id_kp_serverAuth));
      }
      if (permittedDns != null) {
        b.addExtension(Extension.nameConstraints, true, new org.bouncycastle.asn1.x509.NameConstraints(
            new org.bouncycastle.asn1.x509.GeneralSubtree[] {new org.bouncycastle.asn1.x509.GeneralSubtree(new GeneralName(GeneralName.dNSName, permittedDns))},
            null));
      }
      if (names.length > 0) {
        List<GeneralName> alt = new ArrayList<>();
        for (String n : names) {
          alt.add(n.startsWith("ip:") ? new GeneralName(GeneralName.iPAddress, n.substring(3)) : new GeneralName(GeneralName.dNSName, n.substring(4)));
        }
        b.addExtension(Extension.subjectAlternativeName, false, new GeneralNames(alt.toArray(GeneralName[]::new)));
      }
      return new Issued(keys, new JcaX509CertificateConverter().getCertificate(b.build(new JcaContentSignerBuilder("SHA256withECDSA").build(issuerKeys.getPrivate()))));
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  /** Writes certificates to a PEM file. */
  static Path pem(Path file, X509Certificate... certificates) throws IOException {
    StringBuilder text = new StringBuilder();
    Base64.Encoder base64 = Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII));
    for (X509Certificate c : certificates) {
      try {
        text.append("-----BEGIN CERTIFICATE-----\n").append(base64.encodeToString(c.getEncoded())).append("\n-----END CERTIFICATE-----\n");
      } catch (GeneralSecurityException e) {
        throw new IllegalStateException(e);
      }
    }
    return Files.writeString(file, text);
  }

  private static KeyPair keyPair() {
    try {
      KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
      g.initialize(new ECGenParameterSpec("secp256r1"));
      return g.generateKeyPair();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }

  private static X509Certificate build(String subject, KeyPair subjectKeys, String issuer, KeyPair issuerKeys, boolean ca, List<String> names) {
    try {
      Instant now = Instant.now();
      X509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(
          new X500Name(issuer.contains("=") ? issuer : "CN=" + issuer), new BigInteger(64, RANDOM),
          Date.from(now.minus(Duration.ofHours(1))), Date.from(now.plus(Duration.ofDays(2))),
          new X500Name("CN=" + subject), subjectKeys.getPublic());
      JcaX509ExtensionUtils ext = new JcaX509ExtensionUtils();
      b.addExtension(Extension.subjectKeyIdentifier, false, ext.createSubjectKeyIdentifier(subjectKeys.getPublic()));
      b.addExtension(Extension.authorityKeyIdentifier, false, ext.createAuthorityKeyIdentifier(issuerKeys.getPublic()));
      if (ca) {
        b.addExtension(Extension.basicConstraints, true, new BasicConstraints(true));
        b.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign));
      } else {
        b.addExtension(Extension.basicConstraints, true, new BasicConstraints(false));
        b.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature));
        b.addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(KeyPurposeId.id_kp_serverAuth));
      }
      if (!names.isEmpty()) {
        List<GeneralName> alt = new ArrayList<>();
        for (String n : names) {
          alt.add(n.startsWith("ip:") ? new GeneralName(GeneralName.iPAddress, n.substring(3)) : new GeneralName(GeneralName.dNSName, n.substring(4)));
        }
        b.addExtension(Extension.subjectAlternativeName, false, new GeneralNames(alt.toArray(GeneralName[]::new)));
      }
      return new JcaX509CertificateConverter().getCertificate(b.build(new JcaContentSignerBuilder("SHA256withECDSA").build(issuerKeys.getPrivate())));
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }
}
