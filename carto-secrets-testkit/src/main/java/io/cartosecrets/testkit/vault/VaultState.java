package io.cartosecrets.testkit.vault;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.cartosecrets.testkit.TestTokens;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Everything {@link FakeVault} knows, and the answers Vault's HTTP API gives about it. Every method
 * that reads or changes state is {@code synchronized}: MockWebServer serves connections on several
 * threads, and Vault's answers are linearizable, so one monitor is the honest model.
 */
final class VaultState {
  static final ObjectMapper MAPPER = new ObjectMapper();
  private static final JsonNodeFactory JSON = JsonNodeFactory.instance;
  /** KV v1 answers every read with this lease, Vault's default of 768 hours, as a refresh hint. */
  private static final long KV1_LEASE_SECONDS = VaultTokenSpec.SYSTEM_MAX_TTL.toSeconds();

  private static final String PERMISSION_DENIED = "1 error occurred:\n\t* permission denied\n\n";
  private static final String INVALID_TOKEN =
      "2 errors occurred:\n\t* permission denied\n\t* invalid token\n\n";
  private static final String KV2_WRONG_PATH_WARNING =
      "Invalid path for a versioned K/V secrets engine. See the API docs for the appropriate API"
          + " endpoints to use. If using the Vault CLI, use 'vault kv get' for this operation.";

  final Clock clock;

  // All below guarded by this.
  private final Map<String, Ns> namespaces = new HashMap<>();
  private final Map<String, Tok> tokens = new HashMap<>();
  private boolean sealed;
  private int failuresLeft;
  private int failureStatus;
  private final String rootToken;

  VaultState(Clock clock) {
    this.clock = clock;
    namespaces.put("", new Ns(""));
    Tok root = issue("", VaultTokenSpec.withPolicies("root"), "auth/token/root", false);
    root.expireTime = null;
    root.maxExpire = null;
    root.renewable = false;
    this.rootToken = root.value;
  }

  // ---------------------------------------------------------------------------------------------
  // Test-side operations (called by FakeVault and its handles).

  String rootToken() {
    return rootToken;
  }

  synchronized void createNamespace(String ns) {
    namespaces.computeIfAbsent(ns, Ns::new);
  }

  synchronized void mountKv(String ns, String path, int version) {
    if (version != 1 && version != 2) {
      throw new IllegalArgumentException("KV version must be 1 or 2, was " + version);
    }
    String p = trimSlashes(path);
    Ns n = ns(ns);
    for (String existing : n.mounts.keySet()) {
      if (existing.equals(p) || existing.startsWith(p + "/") || p.startsWith(existing + "/")) {
        throw new IllegalArgumentException("path is already in use at " + existing + "/");
      }
    }
    n.mounts.put(p, new KvMount(p, version));
  }

  synchronized int write(String ns, String fullPath, Map<String, ?> data) {
    Ns n = ns(ns);
    String p = trimSlashes(fullPath);
    KvMount m = n.mountFor(p);
    if (m == null || p.equals(m.path)) {
      throw new IllegalArgumentException("no KV mount for " + p + " in namespace '" + ns + "'");
    }
    ObjectNode node = MAPPER.valueToTree(data);
    return m.put(p.substring(m.path.length() + 1), node, now());
  }

  synchronized void softDelete(String ns, String fullPath, int... versions) {
    kv2Secret(ns, fullPath).softDelete(versions, now());
  }

  synchronized void undelete(String ns, String fullPath, int... versions) {
    kv2Secret(ns, fullPath).undelete(versions);
  }

  synchronized void destroy(String ns, String fullPath, int... versions) {
    kv2Secret(ns, fullPath).destroy(versions);
  }

  synchronized int currentVersion(String ns, String fullPath) {
    return kv2Secret(ns, fullPath).versions.size();
  }

  synchronized void policy(String ns, String name, String pathGlob, String... capabilities) {
    ns(ns).policies.computeIfAbsent(name, k -> new ArrayList<>())
        .add(new Rule(trimLeadingSlash(pathGlob), Set.of(capabilities)));
  }

  synchronized String createToken(String ns, VaultTokenSpec spec) {
    ns(ns);
    return issue(ns, spec, "auth/token/create", true).value;
  }

  synchronized void revoke(String token) {
    Tok t = tokens.get(token);
    if (t != null) {
      t.revoked = true;
    }
  }

  synchronized boolean revokeAccessor(String accessor) {
    boolean found = false;
    for (Tok t : tokens.values()) {
      if (t.accessor.equals(accessor)) {
        t.revoked = true;
        found = true;
      }
    }
    return found;
  }

  synchronized Optional<String> accessorOf(String token) {
    return Optional.ofNullable(tokens.get(token)).map(t -> t.accessor);
  }

  synchronized Optional<Duration> remainingTtl(String token) {
    Tok t = tokens.get(token);
    if (t == null || t.expireTime == null) {
      return Optional.empty();
    }
    return Optional.of(Duration.between(now(), t.expireTime));
  }

  synchronized String appRole(String ns, String mount, String role, VaultTokenSpec spec) {
    AuthMount a = authMount(ns, mount, "approle");
    AppRoleState r = new AppRoleState(TestTokens.identifier("role-"), spec);
    a.appRoles.put(role, r);
    return r.roleId;
  }

  synchronized String newSecretId(String ns, String mount, String role) {
    String secretId = TestTokens.secret(24);
    appRoleState(ns, mount, role).secretIds.add(secretId);
    return secretId;
  }

  synchronized void revokeSecretIds(String ns, String mount, String role) {
    appRoleState(ns, mount, role).secretIds.clear();
  }

  synchronized void kubernetesRole(String ns, String mount, String role, VaultTokenSpec spec) {
    authMount(ns, mount, "kubernetes").kubeRoles.put(role, new KubeRoleState(spec));
  }

  synchronized String newServiceAccountJwt(String ns, String mount, String role) {
    KubeRoleState r = authMount(ns, mount, "kubernetes").kubeRoles.get(role);
    if (r == null) {
      throw new IllegalArgumentException("no kubernetes role " + role);
    }
    ObjectNode header = JSON.objectNode().put("alg", "RS256").put("kid", "testkit");
    ObjectNode claims = JSON.objectNode()
        .put("iss", "kubernetes/serviceaccount")
        .put("kubernetes.io/serviceaccount/namespace", "carto")
        .put("kubernetes.io/serviceaccount/service-account.name", role)
        .put("sub", "system:serviceaccount:carto:" + role);
    java.util.Base64.Encoder b64 = java.util.Base64.getUrlEncoder().withoutPadding();
    String jwt = b64.encodeToString(header.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8))
        + "." + b64.encodeToString(claims.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8))
        + "." + TestTokens.secret(64);
    r.jwts.add(jwt);
    return jwt;
  }

  synchronized void revokeServiceAccountJwts(String ns, String mount, String role) {
    KubeRoleState r = authMount(ns, mount, "kubernetes").kubeRoles.get(role);
    if (r != null) {
      r.jwts.clear();
    }
  }

  synchronized void seal(boolean sealed) {
    this.sealed = sealed;
  }

  synchronized boolean sealed() {
    return sealed;
  }

  synchronized void failNext(int count, int status) {
    this.failuresLeft = count;
    this.failureStatus = status;
  }

  // ---------------------------------------------------------------------------------------------
  // The HTTP API.

  /** An answer: a status and a JSON body ({@code null} for 204). */
  static final class Answer {
    final int status;
    final String body;

    Answer(int status, JsonNode body) {
      this.status = status;
      this.body = body == null ? null : body.toString();
    }
  }

  synchronized String accessorFor(String token) {
    Tok t = token == null ? null : tokens.get(token);
    return t == null ? null : t.accessor;
  }

  synchronized Answer handle(
      String method, String path, Map<String, String> query, String ns, String token, JsonNode body) {
    if (failuresLeft > 0) {
      failuresLeft--;
      return error(failureStatus, failureStatus == 503 ? "Vault is sealed" : "internal error");
    }
    if (path.equals("sys/health")) {
      ObjectNode h = JSON.objectNode().put("initialized", true).put("sealed", sealed)
          .put("standby", false).put("version", "1.17.0");
      return new Answer(sealed ? 503 : 200, h);
    }
    if (path.equals("sys/seal-status")) {
      return new Answer(200, JSON.objectNode().put("type", "shamir").put("sealed", sealed)
          .put("initialized", true).put("version", "1.17.0"));
    }
    if (sealed) {
      return error(503, "Vault is sealed");
    }
    Ns n = namespaces.get(ns);
    if (n == null) {
      return error(403, PERMISSION_DENIED);
    }
    boolean write = method.equals("POST") || method.equals("PUT");
    if (path.startsWith("auth/") && path.endsWith("/login") && write) {
      String mount = path.substring("auth/".length(), path.length() - "/login".length());
      return login(n, mount, body);
    }
    if (token == null || token.isEmpty()) {
      return error(403, PERMISSION_DENIED);
    }
    Tok t = tokens.get(token);
    if (t == null || t.revoked || expired(t) || !t.ns.equals(ns)) {
      return error(403, INVALID_TOKEN);
    }
    if (path.equals("auth/token/lookup-self") && method.equals("GET")) {
      return lookupSelf(t);
    }
    if (path.equals("auth/token/renew-self") && write) {
      return renewSelf(t, body);
    }
    if (path.startsWith("sys/internal/ui/mounts/") && method.equals("GET")) {
      return uiMount(n, t, path.substring("sys/internal/ui/mounts/".length()));
    }
    if (path.equals("sys/mounts") && method.equals("GET")) {
      if (!allowed(n, t, path, "read")) {
        return error(403, PERMISSION_DENIED);
      }
      return mounts(n);
    }
    boolean list = method.equals("LIST") || (method.equals("GET") && "true".equals(query.get("list")));
    String capability;
    if (list) {
      capability = "list";
    } else if (method.equals("GET")) {
      capability = "read";
    } else if (write) {
      capability = "update";
    } else if (method.equals("DELETE")) {
      capability = "delete";
    } else {
      return error(405, "unsupported operation");
    }
    String p = trimSlashes(path);
    if (!allowed(n, t, p, capability)) {
      return error(403, PERMISSION_DENIED);
    }
    KvMount m = n.mountFor(p);
    if (m == null) {
      return error(404, "no handler for route \"" + p + "\". route entry not found.");
    }
    String rest = p.length() == m.path.length() ? "" : p.substring(m.path.length() + 1);
    return m.version == 1
        ? kv1(m, method, rest, list, body)
        : kv2(m, method, rest, list, query, body);
  }

  private Answer login(Ns n, String mount, JsonNode body) {
    AuthMount a = n.auth.get(mount);
    if (a == null) {
      return error(404, "no handler for route \"auth/" + mount + "/login\". route entry not found.");
    }
    VaultTokenSpec spec;
    String roleName;
    if (a.type.equals("approle")) {
      String roleId = text(body, "role_id");
      String secretId = text(body, "secret_id");
      if (roleId == null) {
        return error(400, "missing role_id");
      }
      Map.Entry<String, AppRoleState> match = null;
      for (Map.Entry<String, AppRoleState> e : a.appRoles.entrySet()) {
        if (e.getValue().roleId.equals(roleId)) {
          match = e;
        }
      }
      if (match == null || secretId == null || !match.getValue().secretIds.contains(secretId)) {
        return error(400, "invalid role or secret ID");
      }
      spec = match.getValue().spec;
      roleName = match.getKey();
    } else {
      roleName = text(body, "role");
      String jwt = text(body, "jwt");
      if (roleName == null) {
        return error(400, "missing role");
      }
      KubeRoleState r = a.kubeRoles.get(roleName);
      if (r == null) {
        return error(400, "invalid role name \"" + roleName + "\"");
      }
      if (jwt == null || !r.jwts.contains(jwt)) {
        return error(403, PERMISSION_DENIED);
      }
      spec = r.spec;
    }
    Tok t = issue(n.path, spec, "auth/" + mount + "/login", true);
    t.meta.put("role_name", roleName);
    return new Answer(200, envelope(null).set("auth", auth(t, t.ttlSeconds(now()))));
  }

  private Answer lookupSelf(Tok t) {
    Instant now = now();
    ObjectNode d = JSON.objectNode();
    d.put("accessor", t.accessor);
    d.put("creation_time", t.issueTime.getEpochSecond());
    d.put("creation_ttl", t.spec.ttl().toSeconds());
    d.put("display_name", t.path.replace('/', '-'));
    d.put("entity_id", "");
    if (t.expireTime == null) {
      d.putNull("expire_time");
    } else {
      d.put("expire_time", t.expireTime.toString());
    }
    d.put("explicit_max_ttl", t.maxExpire == null ? 0 : t.spec.maxTtl().toSeconds());
    // Vault returns the token itself here; a client must never log this response.
    d.put("id", t.value);
    d.put("issue_time", t.issueTime.toString());
    if (t.lastRenewal != null) {
      d.put("last_renewal_time", t.lastRenewal.getEpochSecond());
    }
    d.set("meta", t.meta.isEmpty() ? JSON.nullNode() : MAPPER.valueToTree(t.meta));
    d.put("num_uses", 0);
    d.put("orphan", true);
    d.put("path", t.path);
    d.set("policies", policiesNode(t));
    d.put("renewable", t.renewable);
    d.put("ttl", t.ttlSeconds(now));
    d.put("type", "service");
    return new Answer(200, envelope(d));
  }

  private Answer renewSelf(Tok t, JsonNode body) {
    if (!t.renewable) {
      return error(400, "lease is not renewable");
    }
    Instant now = now();
    long requested = t.spec.ttl().toSeconds();
    JsonNode inc = body == null ? null : body.get("increment");
    if (inc != null && inc.isNumber() && inc.asLong() > 0) {
      requested = inc.asLong();
    } else if (inc != null && inc.isTextual()) {
      requested = parseDuration(inc.asText());
    }
    long remainingMax = Duration.between(now, t.maxExpire).toSeconds();
    long granted = Math.min(requested, remainingMax);
    t.expireTime = now.plusSeconds(granted);
    t.lastRenewal = now;
    ObjectNode env = envelope(null);
    if (granted < requested) {
      env.set("warnings", JSON.arrayNode().add(
          "TTL of \"" + requested + "s\" exceeded the effective max_ttl of \"" + granted
              + "s\"; TTL value is capped accordingly"));
    }
    return new Answer(200, env.set("auth", auth(t, granted)));
  }

  private Answer uiMount(Ns n, Tok t, String target) {
    String p = trimSlashes(target);
    KvMount m = n.mountFor(p);
    // Vault answers 403 both for no mount and for a mount the token has no access to, so that the
    // endpoint does not reveal which mounts exist.
    if (m == null || !hasAccessUnder(n, t, m.path)) {
      return error(403, PERMISSION_DENIED);
    }
    ObjectNode d = m.describe();
    d.put("path", m.path + "/");
    return new Answer(200, envelope(d));
  }

  private Answer mounts(Ns n) {
    ObjectNode d = JSON.objectNode();
    for (KvMount m : n.mounts.values()) {
      d.set(m.path + "/", m.describe());
    }
    ObjectNode sys = JSON.objectNode().put("type", "system").put("description", "system endpoints");
    sys.set("options", JSON.nullNode());
    d.set("sys/", sys);
    ObjectNode env = envelope(d);
    d.properties().forEach(e -> env.set(e.getKey(), e.getValue()));
    return new Answer(200, env);
  }

  private Answer kv1(KvMount m, String method, String key, boolean list, JsonNode body) {
    if (list) {
      return listAnswer(m.list(key));
    }
    switch (method) {
      case "GET": {
        ObjectNode data = m.v1.get(key);
        if (data == null) {
          return new Answer(404, JSON.objectNode().set("errors", JSON.arrayNode()));
        }
        ObjectNode env = envelope(data.deepCopy());
        env.put("lease_duration", KV1_LEASE_SECONDS);
        return new Answer(200, env);
      }
      case "POST":
      case "PUT":
        if (key.isEmpty()) {
          return error(405, "unsupported operation");
        }
        if (body == null || !body.isObject()) {
          return error(400, "no data provided");
        }
        m.v1.put(key, ((ObjectNode) body).deepCopy());
        return new Answer(204, null);
      case "DELETE":
        m.v1.remove(key);
        return new Answer(204, null);
      default:
        return error(405, "unsupported operation");
    }
  }

  private Answer kv2(
      KvMount m, String method, String rest, boolean list, Map<String, String> query, JsonNode body) {
    int slash = rest.indexOf('/');
    String op = slash < 0 ? rest : rest.substring(0, slash);
    String key = slash < 0 ? "" : rest.substring(slash + 1);
    if (op.equals("config") && method.equals("GET")) {
      return new Answer(200, envelope(JSON.objectNode().put("cas_required", false)
          .put("delete_version_after", "0s").put("max_versions", 0)));
    }
    if (op.equals("metadata") && list) {
      return listAnswer(m.list(key));
    }
    if (key.isEmpty() || !Set.of("data", "metadata", "delete", "undelete", "destroy").contains(op)) {
      ObjectNode err = JSON.objectNode();
      err.set("errors", JSON.arrayNode());
      err.set("warnings", JSON.arrayNode().add(KV2_WRONG_PATH_WARNING));
      return new Answer(404, err);
    }
    Kv2Secret s = m.v2.get(key);
    boolean write = method.equals("POST") || method.equals("PUT");
    switch (op) {
      case "data":
        if (method.equals("GET")) {
          return kv2Read(s, query.get("version"));
        }
        if (write) {
          return kv2Write(m, key, s, body);
        }
        if (method.equals("DELETE")) {
          if (s != null) {
            s.softDelete(new int[0], now());
          }
          return new Answer(204, null);
        }
        break;
      case "metadata":
        if (method.equals("GET")) {
          if (s == null) {
            return new Answer(404, JSON.objectNode().set("errors", JSON.arrayNode()));
          }
          return new Answer(200, envelope(s.metadata()));
        }
        if (method.equals("DELETE")) {
          m.v2.remove(key);
          return new Answer(204, null);
        }
        if (write) {
          return new Answer(204, null);
        }
        break;
      default:
        if (write) {
          int[] versions = versions(body);
          if (versions == null) {
            return error(400, "no version number provided");
          }
          if (s != null) {
            if (op.equals("delete")) {
              s.softDelete(versions, now());
            } else if (op.equals("undelete")) {
              s.undelete(versions);
            } else {
              s.destroy(versions);
            }
          }
          return new Answer(204, null);
        }
    }
    return error(405, "unsupported operation");
  }

  private Answer kv2Read(Kv2Secret s, String versionParam) {
    if (s == null) {
      return new Answer(404, JSON.objectNode().set("errors", JSON.arrayNode()));
    }
    int v = s.versions.size();
    if (versionParam != null && !versionParam.isEmpty() && !versionParam.equals("0")) {
      try {
        v = Integer.parseInt(versionParam);
      } catch (NumberFormatException e) {
        return error(400, "invalid version");
      }
    }
    if (v < 1 || v > s.versions.size()) {
      return new Answer(404, JSON.objectNode().set("errors", JSON.arrayNode()));
    }
    Kv2Version ver = s.versions.get(v - 1);
    ObjectNode d = JSON.objectNode();
    boolean gone = ver.destroyed || ver.deletionTime != null;
    d.set("data", gone ? JSON.nullNode() : ver.data.deepCopy());
    d.set("metadata", ver.metadata(v));
    return new Answer(gone ? 404 : 200, envelope(d));
  }

  private Answer kv2Write(KvMount m, String key, Kv2Secret s, JsonNode body) {
    JsonNode data = body == null ? null : body.get("data");
    if (data == null || !data.isObject()) {
      return error(400, "no data provided");
    }
    JsonNode cas = body.path("options").get("cas");
    int current = s == null ? 0 : s.versions.size();
    if (cas != null && cas.asInt() != current) {
      return error(400, "check-and-set parameter did not match the current version");
    }
    int v = m.put(key, (ObjectNode) data, now());
    Kv2Version ver = m.v2.get(key).versions.get(v - 1);
    return new Answer(200, envelope(ver.metadata(v)));
  }

  private Answer listAnswer(List<String> keys) {
    if (keys.isEmpty()) {
      return new Answer(404, JSON.objectNode().set("errors", JSON.arrayNode()));
    }
    ArrayNode k = JSON.arrayNode();
    keys.forEach(k::add);
    return new Answer(200, envelope(JSON.objectNode().set("keys", k)));
  }

  // ---------------------------------------------------------------------------------------------

  private Tok issue(String ns, VaultTokenSpec spec, String path, boolean register) {
    Instant now = now();
    Tok t = new Tok();
    t.value = "hvs." + TestTokens.secret(24);
    t.accessor = TestTokens.identifier("acc-");
    t.ns = ns;
    t.spec = spec;
    t.path = path;
    t.issueTime = now;
    t.maxExpire = now.plus(spec.maxTtl());
    t.expireTime = now.plus(spec.ttl().compareTo(spec.maxTtl()) < 0 ? spec.ttl() : spec.maxTtl());
    t.renewable = spec.renewable();
    tokens.put(t.value, t);
    return t;
  }

  private ObjectNode auth(Tok t, long leaseSeconds) {
    ObjectNode a = JSON.objectNode();
    a.put("client_token", t.value);
    a.put("accessor", t.accessor);
    a.set("policies", policiesNode(t));
    a.set("token_policies", policiesNode(t));
    a.set("metadata", t.meta.isEmpty() ? JSON.nullNode() : MAPPER.valueToTree(t.meta));
    a.put("lease_duration", leaseSeconds);
    a.put("renewable", t.renewable);
    a.put("entity_id", "");
    a.put("token_type", "service");
    a.put("orphan", true);
    a.putNull("mfa_requirement");
    a.put("num_uses", 0);
    return a;
  }

  private static ArrayNode policiesNode(Tok t) {
    ArrayNode p = JSON.arrayNode();
    if (!t.spec.policies().contains("root")) {
      p.add("default");
    }
    t.spec.policies().forEach(p::add);
    return p;
  }

  private boolean expired(Tok t) {
    return t.expireTime != null && !now().isBefore(t.expireTime);
  }

  private boolean allowed(Ns n, Tok t, String path, String capability) {
    if (t.spec.policies().contains("root")) {
      return true;
    }
    int best = -1;
    Set<String> caps = new TreeSet<>();
    for (String policy : t.spec.policies()) {
      for (Rule r : n.policies.getOrDefault(policy, List.of())) {
        int s = r.specificity(path);
        if (s > best) {
          best = s;
          caps.clear();
        }
        if (s >= 0 && s == best) {
          caps.addAll(r.capabilities);
        }
      }
    }
    if (best < 0 || caps.contains("deny")) {
      return false;
    }
    if (capability.equals("update")) {
      return caps.contains("update") || caps.contains("create");
    }
    return caps.contains(capability);
  }

  private boolean hasAccessUnder(Ns n, Tok t, String mountPath) {
    if (t.spec.policies().contains("root")) {
      return true;
    }
    String prefix = mountPath + "/";
    for (String policy : t.spec.policies()) {
      for (Rule r : n.policies.getOrDefault(policy, List.of())) {
        String g = r.glob.endsWith("*") ? r.glob.substring(0, r.glob.length() - 1) : r.glob;
        if (!r.capabilities.contains("deny") && (g.startsWith(prefix) || prefix.startsWith(g))) {
          return true;
        }
      }
    }
    return false;
  }

  private Ns ns(String ns) {
    Ns n = namespaces.get(ns);
    if (n == null) {
      throw new IllegalArgumentException("no namespace '" + ns + "'");
    }
    return n;
  }

  private Kv2Secret kv2Secret(String ns, String fullPath) {
    String p = trimSlashes(fullPath);
    KvMount m = ns(ns).mountFor(p);
    if (m == null || m.version != 2) {
      throw new IllegalArgumentException("no KV v2 mount for " + p);
    }
    Kv2Secret s = m.v2.get(p.substring(m.path.length() + 1));
    if (s == null) {
      throw new IllegalArgumentException("no secret at " + p);
    }
    return s;
  }

  private AuthMount authMount(String ns, String mount, String type) {
    Ns n = ns(ns);
    AuthMount a = n.auth.computeIfAbsent(trimSlashes(mount), k -> new AuthMount(type));
    if (!a.type.equals(type)) {
      throw new IllegalArgumentException("auth/" + mount + " is a " + a.type + " mount");
    }
    return a;
  }

  private AppRoleState appRoleState(String ns, String mount, String role) {
    AppRoleState r = authMount(ns, mount, "approle").appRoles.get(role);
    if (r == null) {
      throw new IllegalArgumentException("no approle role " + role);
    }
    return r;
  }

  private Instant now() {
    return clock.instant();
  }

  private static ObjectNode envelope(JsonNode data) {
    ObjectNode e = JSON.objectNode();
    e.put("request_id", UUID.randomUUID().toString());
    e.put("lease_id", "");
    e.put("renewable", false);
    e.put("lease_duration", 0);
    e.set("data", data == null ? JSON.nullNode() : data);
    e.putNull("wrap_info");
    e.putNull("warnings");
    e.putNull("auth");
    e.put("mount_type", "");
    return e;
  }

  private static Answer error(int status, String message) {
    ObjectNode e = JSON.objectNode();
    e.set("errors", JSON.arrayNode().add(message));
    return new Answer(status, e);
  }

  private static String text(JsonNode body, String field) {
    JsonNode v = body == null ? null : body.get(field);
    return v != null && v.isTextual() ? v.asText() : null;
  }

  private static int[] versions(JsonNode body) {
    JsonNode v = body == null ? null : body.get("versions");
    if (v == null || !v.isArray() || v.isEmpty()) {
      return null;
    }
    int[] out = new int[v.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = v.get(i).asInt();
    }
    return out;
  }

  private static final Pattern DURATION = Pattern.compile("(\\d+)([smhd]?)");

  static long parseDuration(String s) {
    Matcher m = DURATION.matcher(s.trim());
    if (!m.matches()) {
      return 0;
    }
    long n = Long.parseLong(m.group(1));
    switch (m.group(2)) {
      case "m":
        return n * 60;
      case "h":
        return n * 3600;
      case "d":
        return n * 86400;
      default:
        return n;
    }
  }

  static String trimSlashes(String p) {
    String s = p;
    while (s.startsWith("/")) {
      s = s.substring(1);
    }
    while (s.endsWith("/")) {
      s = s.substring(0, s.length() - 1);
    }
    return s;
  }

  private static String trimLeadingSlash(String p) {
    return p.startsWith("/") ? p.substring(1) : p;
  }

  // ---------------------------------------------------------------------------------------------
  // State records; all mutated only under the VaultState monitor.

  private static final class Ns {
    final String path;
    final Map<String, KvMount> mounts = new TreeMap<>();
    final Map<String, List<Rule>> policies = new HashMap<>();
    final Map<String, AuthMount> auth = new HashMap<>();

    Ns(String path) {
      this.path = path;
    }

    KvMount mountFor(String p) {
      KvMount best = null;
      for (KvMount m : mounts.values()) {
        if ((p.equals(m.path) || p.startsWith(m.path + "/"))
            && (best == null || m.path.length() > best.path.length())) {
          best = m;
        }
      }
      return best;
    }
  }

  private static final class Rule {
    final String glob;
    final Set<String> capabilities;

    Rule(String glob, Set<String> capabilities) {
      this.glob = glob;
      this.capabilities = capabilities;
    }

    /** How specifically this rule matches {@code path}: -1 for no match, exact beats any glob. */
    int specificity(String path) {
      if (glob.endsWith("*")) {
        String prefix = glob.substring(0, glob.length() - 1);
        return path.startsWith(prefix) ? prefix.length() : -1;
      }
      return glob.equals(path) ? Integer.MAX_VALUE : -1;
    }
  }

  private static final class Tok {
    String value;
    String accessor;
    String ns;
    VaultTokenSpec spec;
    String path;
    Instant issueTime;
    Instant expireTime;
    Instant maxExpire;
    Instant lastRenewal;
    boolean renewable;
    boolean revoked;
    final Map<String, String> meta = new LinkedHashMap<>();

    long ttlSeconds(Instant now) {
      return expireTime == null ? 0 : Math.max(0, Duration.between(now, expireTime).toSeconds());
    }
  }

  private static final class AuthMount {
    final String type;
    final Map<String, AppRoleState> appRoles = new HashMap<>();
    final Map<String, KubeRoleState> kubeRoles = new HashMap<>();

    AuthMount(String type) {
      this.type = type;
    }
  }

  private static final class AppRoleState {
    final String roleId;
    final VaultTokenSpec spec;
    final Set<String> secretIds = new java.util.HashSet<>();

    AppRoleState(String roleId, VaultTokenSpec spec) {
      this.roleId = roleId;
      this.spec = spec;
    }
  }

  private static final class KubeRoleState {
    final VaultTokenSpec spec;
    final Set<String> jwts = new java.util.HashSet<>();

    KubeRoleState(VaultTokenSpec spec) {
      this.spec = spec;
    }
  }

  private static final class KvMount {
    final String path;
    final int version;
    final String accessor = TestTokens.identifier("kv_");
    final String uuid = UUID.randomUUID().toString();
    final Map<String, ObjectNode> v1 = new TreeMap<>();
    final Map<String, Kv2Secret> v2 = new TreeMap<>();

    KvMount(String path, int version) {
      this.path = path;
      this.version = version;
    }

    int put(String key, ObjectNode data, Instant now) {
      if (version == 1) {
        v1.put(key, data.deepCopy());
        return 0;
      }
      Kv2Secret s = v2.computeIfAbsent(key, k -> new Kv2Secret(now));
      s.versions.add(new Kv2Version(data.deepCopy(), now));
      s.updated = now;
      return s.versions.size();
    }

    List<String> list(String prefix) {
      String p = prefix.isEmpty() ? "" : trimSlashes(prefix) + "/";
      Set<String> keys = new TreeSet<>();
      for (String k : version == 1 ? v1.keySet() : v2.keySet()) {
        if (k.startsWith(p)) {
          String rest = k.substring(p.length());
          int slash = rest.indexOf('/');
          keys.add(slash < 0 ? rest : rest.substring(0, slash + 1));
        }
      }
      return new ArrayList<>(keys);
    }

    ObjectNode describe() {
      ObjectNode d = JSON.objectNode();
      d.put("accessor", accessor);
      d.set("config", JSON.objectNode().put("default_lease_ttl", 0).put("force_no_cache", false)
          .put("max_lease_ttl", 0));
      d.put("description", "");
      d.put("external_entropy_access", false);
      d.put("local", false);
      d.set("options", JSON.objectNode().put("version", Integer.toString(version)));
      d.put("plugin_version", "");
      d.put("running_plugin_version", "v0.20.0+builtin");
      d.put("running_sha256", "");
      d.put("seal_wrap", false);
      d.put("type", "kv");
      d.put("uuid", uuid);
      return d;
    }
  }

  private static final class Kv2Secret {
    final Instant created;
    Instant updated;
    final List<Kv2Version> versions = new ArrayList<>();

    Kv2Secret(Instant created) {
      this.created = created;
      this.updated = created;
    }

    void softDelete(int[] which, Instant now) {
      for (int v : which.length == 0 ? new int[] {versions.size()} : which) {
        if (v >= 1 && v <= versions.size() && !versions.get(v - 1).destroyed) {
          versions.get(v - 1).deletionTime = now;
        }
      }
    }

    void undelete(int[] which) {
      for (int v : which) {
        if (v >= 1 && v <= versions.size() && !versions.get(v - 1).destroyed) {
          versions.get(v - 1).deletionTime = null;
        }
      }
    }

    void destroy(int[] which) {
      for (int v : which.length == 0 ? new int[] {versions.size()} : which) {
        if (v >= 1 && v <= versions.size()) {
          Kv2Version ver = versions.get(v - 1);
          ver.destroyed = true;
          ver.data = null;
        }
      }
    }

    ObjectNode metadata() {
      ObjectNode d = JSON.objectNode();
      d.put("cas_required", false);
      d.put("created_time", created.toString());
      d.put("current_version", versions.size());
      d.putNull("custom_metadata");
      d.put("delete_version_after", "0s");
      d.put("max_versions", 0);
      d.put("oldest_version", 0);
      d.put("updated_time", updated.toString());
      ObjectNode vs = JSON.objectNode();
      for (int i = 0; i < versions.size(); i++) {
        Kv2Version v = versions.get(i);
        vs.set(Integer.toString(i + 1), JSON.objectNode().put("created_time", v.created.toString())
            .put("deletion_time", v.deletionTime == null ? "" : v.deletionTime.toString())
            .put("destroyed", v.destroyed));
      }
      d.set("versions", vs);
      return d;
    }
  }

  private static final class Kv2Version {
    ObjectNode data;
    final Instant created;
    Instant deletionTime;
    boolean destroyed;

    Kv2Version(ObjectNode data, Instant created) {
      this.data = data;
      this.created = created;
    }

    ObjectNode metadata(int version) {
      ObjectNode m = JSON.objectNode();
      m.put("created_time", created.toString());
      m.putNull("custom_metadata");
      m.put("deletion_time", deletionTime == null ? "" : deletionTime.toString());
      m.put("destroyed", destroyed);
      m.put("version", version);
      return m;
    }
  }
}
