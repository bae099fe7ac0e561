; Inno Setup script: a Windows installer for the one-folder app in dist\dmc-report.
;   iscc /DAppVersion=0.1.0 packaging\dmc-report.iss
; The workflow passes the version the build wrote into the bundle
; (dist\dmc-report\_internal\dmc_report\VERSION, from pyproject.toml): the one the app shows.
; Installs per user by default (no administrator rights: DMC laptops are often locked down);
; an administrator may choose an install for all users.

#ifndef AppVersion
  #error Pass the version: iscc /DAppVersion=<dist\dmc-report\_internal\dmc_report\VERSION>
#endif

[Setup]
AppId={{6E1F3C2A-5B7D-4C1E-9A2F-0D4B8E7C9A31}
AppName=dmc-report
AppVersion={#AppVersion}
AppPublisher=dmc-report developers
DefaultDirName={autopf}\dmc-report
DefaultGroupName=dmc-report
PrivilegesRequired=lowest
PrivilegesRequiredOverridesAllowed=dialog
OutputDir=..\dist\installer
OutputBaseFilename=dmc-report-{#AppVersion}-setup
SetupIconFile=..\resources\icons\dmc-report.ico
UninstallDisplayIcon={app}\dmc-report.exe
Compression=lzma2/max
SolidCompression=yes
WizardStyle=modern
ArchitecturesAllowed=x64compatible
ArchitecturesInstallIn64BitMode=x64compatible
InfoBeforeFile=..\dist\dmc-report\THIRD_PARTY_NOTICES.txt

; An upgrade first removes the previous version's library folder (PyInstaller's contents
; directory, _internal): files the new version no longer has must not stay behind, least of all
; an older dmc_report-*.dist-info, which made the upgraded app report the old version.
[InstallDelete]
Type: filesandordirs; Name: "{app}\_internal"

[Files]
Source: "..\dist\dmc-report\*"; DestDir: "{app}"; Flags: ignoreversion recursesubdirs createallsubdirs

[Icons]
Name: "{group}\dmc-report"; Filename: "{app}\dmc-report.exe"
Name: "{group}\Third-party notices"; Filename: "{app}\THIRD_PARTY_NOTICES.txt"
Name: "{group}\Uninstall dmc-report"; Filename: "{uninstallexe}"
Name: "{autodesktop}\dmc-report"; Filename: "{app}\dmc-report.exe"; Tasks: desktopicon

[Tasks]
Name: "desktopicon"; Description: "Create a desktop shortcut"; Flags: unchecked

[Run]
Filename: "{app}\dmc-report.exe"; Description: "Start dmc-report"; Flags: nowait postinstall skipifsilent
