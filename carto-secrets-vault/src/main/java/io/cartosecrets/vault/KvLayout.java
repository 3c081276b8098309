package io.cartosecrets.vault;

/**
 * Where a secret sits in Vault: its KV engine version and, for KV v2, the mount under which the
 * {@code data/} segment goes. Immutable.
 */
final class KvLayout {
  /** The mount without slashes ({@code kv/team/carto}); null for KV v1 read by its full path. */
  final String mount;
  /** 1 or 2. */
  final int version;

  KvLayout(String mount, int version) {
    this.mount = mount;
    this.version = version;
  }

  /** How many path segments the mount has: where the driver inserts {@code data/} for KV v2. */
  int depth() {
    return mount == null ? 1 : mount.split("/").length;
  }

  /** The HTTP API path (after {@code /v1/}) that a read of {@code path} goes to. */
  String apiPath(String path) {
    if (version == 1) {
      return path;
    }
    return mount + "/data" + path.substring(mount.length());
  }

  @Override
  public String toString() {
    return "KV v" + version + (mount == null ? "" : " mounted at " + mount + "/");
  }
}
