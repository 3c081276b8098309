package io.cartosecrets.conjur;

import static io.cartosecrets.conjur.ConjurFixture.ACCOUNT;
import static io.cartosecrets.conjur.ConjurFixture.LOGIN;
import static io.cartosecrets.conjur.ConjurFixture.VARIABLE;
import static org.assertj.core.api.Assertions.assertThat;

import io.cartosecrets.testkit.canary.Leakproof;
import com.cyberark.conjur.sdk.ApiClient;
import com.cyberark.conjur.sdk.endpoint.AuthenticationApi;
import com.cyberark.conjur.sdk.endpoint.SecretsApi;
import io.cartosecrets.testkit.TestTokens;
import java.io.ByteArrayInputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.lang.invoke.MethodType;
import java.lang.reflect.Constructor;
import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.Enumeration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import okhttp3.OkHttp;
import okhttp3.OkHttpClient;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Conjur SDK 4.1.0 was compiled against OkHttp 4; the build pins OkHttp 5.5.1 for everything.
 * These tests show that the SDK links against and works on the pinned version.
 */
class SdkOnOkHttp5Test {
  @TempDir Path dir;
  ConjurFixture f;

  @BeforeEach
  void start() {
    f = new ConjurFixture(dir);
  }

  @AfterEach
  void stop() {
    f.close();
  }

  @Test
  void okHttpOnTheClassPath_isThePinnedVersion_andIsWhatTheSdkUses() {
    assertThat(OkHttp.VERSION).isEqualTo("5.5.1");
    URL okhttpJar = OkHttpClient.class.getProtectionDomain().getCodeSource().getLocation();
    assertThat(okhttpJar.toString()).contains("okhttp-jvm-5.5.1.jar");
    assertThat(new ApiClient().getHttpClient().getClass()).isSameAs(OkHttpClient.class);
  }

  /**
   * Reads the constant pool of every class in the SDK jar and resolves each OkHttp and Okio class,
   * method and field it refers to: a {@link NoSuchMethodError} waiting in a path no test runs
   * would show up here.
   */
  @Test
  void everyOkHttpAndOkioMemberTheSdkRefersTo_existsInThePinnedVersions() throws Exception {
    URL sdkJar = ApiClient.class.getProtectionDomain().getCodeSource().getLocation();
    Set<String> checked = new TreeSet<>();
    List<String> missing = new ArrayList<>();
    try (JarFile jar = new JarFile(Path.of(sdkJar.toURI()).toFile())) {
      Enumeration<JarEntry> entries = jar.entries();
      while (entries.hasMoreElements()) {
        JarEntry entry = entries.nextElement();
        if (!entry.getName().endsWith(".class")) {
          continue;
        }
        try (InputStream in = jar.getInputStream(entry)) {
          for (String[] ref : ConstantPool.references(in.readAllBytes())) {
            if (ref[1].startsWith("okhttp3/") || ref[1].startsWith("okio/")) {
              String key = String.join(" ", ref);
              if (checked.add(key) && !resolves(ref)) {
                missing.add(entry.getName() + ": " + key);
              }
            }
          }
        }
      }
    }
    System.out.println("Conjur SDK references to OkHttp/Okio resolved: " + checked.size());
    assertThat(missing).as("OkHttp/Okio references of the SDK that do not resolve").isEmpty();
    assertThat(checked).as("references checked").hasSizeGreaterThan(60);
    assertThat(checked).anyMatch(r -> r.contains("okhttp3/internal/http/HttpMethod permitsRequestBody"));
    assertThat(checked).anyMatch(r -> r.contains("okhttp3/internal/tls/OkHostnameVerifier INSTANCE"));
  }

  @Test
  void sdkOnItsOwn_authenticatesReadsAndWritesOverTls_onOkHttp5() throws Exception {
    ApiClient api = new ApiClient();
    api.setBasePath(f.conjur.applianceUrl());
    // Builds an SSL context and uses OkHttp's internal OkHostnameVerifier.
    api.setSslCaCert(new ByteArrayInputStream(f.conjur.caCertificatePem().getBytes(StandardCharsets.US_ASCII)));
    String token = new AuthenticationApi(api).getAccessToken(ACCOUNT, LOGIN, f.apiKey, "base64", null);
    api.setAccessToken("token=\"" + token + "\"");
    SecretsApi secrets = new SecretsApi(api);

    assertThat(secrets.getSecret(ACCOUNT, "variable", VARIABLE)).isEqualTo(f.cartoToken);

    // A POST with a body goes through the SDK's RequestBody.create(MediaType, String) and HttpMethod.
    f.conjur.permit(ACCOUNT, LOGIN, VARIABLE, "update");
    String rotated = TestTokens.apiAccessToken();
    secrets.createSecret(ACCOUNT, "variable", VARIABLE, null, null, rotated);
    assertThat(f.conjur.currentValue(ACCOUNT, VARIABLE)).contains(rotated);
    try (ConjurSecretProvider p = f.provider()) {
      assertThat(p.fetch().reveal()).isEqualTo(rotated);
    }
  }

  @Test
  void sdkDebugLogging_usesLoggingInterceptor5_andShowsNoCredential() throws Exception {
    try (LogCapture logs = LogCapture.start()) {
      ApiClient api = new ApiClient();
      api.setBasePath(f.conjur.applianceUrl());
      api.setSslCaCert(new ByteArrayInputStream(f.conjur.caCertificatePem().getBytes(StandardCharsets.US_ASCII)));
      api.setDebugging(true);
      String token = new AuthenticationApi(api).getAccessToken(ACCOUNT, LOGIN, f.apiKey, "base64", null);
      api.setAccessToken("token=\"" + token + "\"");

      assertThat(new SecretsApi(api).getSecret(ACCOUNT, "variable", VARIABLE)).isEqualTo(f.cartoToken);
      assertThat(logs.text()).contains("--> POST " + f.conjur.applianceUrl() + "/authn/").contains("<-- 200");
      Leakproof.assertNoCanaryIn("the SDK's debug log", logs.text());
    }
  }

  private static boolean resolves(String[] ref) {
    String kind = ref[0];
    Class<?> owner;
    try {
      owner = Class.forName(ref[1].replace('/', '.'), false, SdkOnOkHttp5Test.class.getClassLoader());
    } catch (ClassNotFoundException | LinkageError e) {
      return false;
    }
    if (kind.equals("class")) {
      return true;
    }
    String name = ref[2];
    String descriptor = ref[3];
    Deque<Class<?>> todo = new ArrayDeque<>(List.of(owner));
    Set<Class<?>> seen = new HashSet<>();
    while (!todo.isEmpty()) {
      Class<?> c = todo.pop();
      if (!seen.add(c)) {
        continue;
      }
      if (kind.equals("field")) {
        for (Field fd : c.getDeclaredFields()) {
          if (fd.getName().equals(name) && fd.getType().descriptorString().equals(descriptor)) {
            return true;
          }
        }
      } else if (name.equals("<init>")) {
        for (Constructor<?> k : c.getDeclaredConstructors()) {
          if (MethodType.methodType(void.class, k.getParameterTypes()).toMethodDescriptorString().equals(descriptor)) {
            return true;
          }
        }
        return false;
      } else {
        for (Method m : c.getDeclaredMethods()) {
          if (m.getName().equals(name)
              && MethodType.methodType(m.getReturnType(), m.getParameterTypes()).toMethodDescriptorString().equals(descriptor)) {
            return true;
          }
        }
      }
      if (c.getSuperclass() != null) {
        todo.add(c.getSuperclass());
      }
      todo.addAll(List.of(c.getInterfaces()));
    }
    return false;
  }

  /** Just enough of the class file format to list the classes, methods and fields a class uses. */
  static final class ConstantPool {
    private ConstantPool() {}

    /** {kind, owner, name, descriptor}: kind is class, field or method. */
    static List<String[]> references(byte[] classFile) throws IOException {
      DataInputStream in = new DataInputStream(new ByteArrayInputStream(classFile));
      in.readInt();
      in.readUnsignedShort();
      in.readUnsignedShort();
      int count = in.readUnsignedShort();
      int[] tags = new int[count];
      String[] utf8 = new String[count];
      int[] first = new int[count];
      int[] second = new int[count];
      for (int i = 1; i < count; i++) {
        int tag = in.readUnsignedByte();
        tags[i] = tag;
        switch (tag) {
          case 1 -> utf8[i] = in.readUTF();
          case 3, 4 -> in.readInt();
          case 5, 6 -> {
            in.readLong();
            i++;
          }
          case 7, 8, 16, 19, 20 -> first[i] = in.readUnsignedShort();
          case 9, 10, 11, 12, 17, 18 -> {
            first[i] = in.readUnsignedShort();
            second[i] = in.readUnsignedShort();
          }
          case 15 -> {
            in.readUnsignedByte();
            in.readUnsignedShort();
          }
          default -> throw new IOException("constant pool tag " + tag);
        }
      }
      List<String[]> refs = new ArrayList<>();
      for (int i = 1; i < count; i++) {
        if (tags[i] == 7 && !utf8[first[i]].startsWith("[")) {
          refs.add(new String[] {"class", utf8[first[i]], "", ""});
        } else if (tags[i] == 9 || tags[i] == 10 || tags[i] == 11) {
          String owner = utf8[first[first[i]]];
          int nat = second[i];
          if (!owner.startsWith("[")) {
            refs.add(new String[] {tags[i] == 9 ? "field" : "method", owner, utf8[first[nat]], utf8[second[nat]]});
          }
        }
      }
      return refs;
    }
  }
}
