/// The release: `zcp --version`, the package names (Scripts/package) and CHANGELOG.md's
/// newest entry all come from here.
public let zcpVersion = "0.4.2"
