; Inno Setup script for the Windows installer of the fieldapp desktop app.
; Prerequisites (on Windows): Python 3.11+, `pip install -e .[dev]`, Inno Setup 6
; (iscc on PATH). From the top of the checkout:
;   python packaging\build.py --smoke
;   iscc /DAppVersion=0.1.0 packaging\windows\fieldapp.iss
; Output: dist\fieldapp-<version>-setup.exe (per-user install, no admin rights needed).
; The bundle has two executables: fieldapp-gui.exe (windowed: shortcuts) and fieldapp.exe
; (console: the command line, and the self-test run at the end of the installation).

#ifndef AppVersion
  #define AppVersion "0.1.0"
#endif

[Setup]
AppId={{6B0E7C55-3C2A-4F0B-9B7E-5E0A3C1D2F10}
AppName=fieldapp
AppVersion={#AppVersion}
AppPublisher=fieldapp
DefaultDirName={autopf}\fieldapp
DefaultGroupName=fieldapp
PrivilegesRequired=lowest
PrivilegesRequiredOverridesAllowed=dialog
OutputDir=..\..\dist
OutputBaseFilename=fieldapp-{#AppVersion}-setup
Compression=lzma2
SolidCompression=yes
WizardStyle=modern
SetupIconFile=..\..\build\fieldapp.ico
UninstallDisplayIcon={app}\fieldapp-gui.exe
ArchitecturesInstallIn64BitMode=x64compatible

[Languages]
Name: "en"; MessagesFile: "compiler:Default.isl"
Name: "zh_CN"; MessagesFile: "compiler:Languages\ChineseSimplified.isl"

[Files]
Source: "..\..\dist\fieldapp\*"; DestDir: "{app}"; Flags: ignoreversion recursesubdirs createallsubdirs

[Icons]
Name: "{group}\fieldapp"; Filename: "{app}\fieldapp-gui.exe"
Name: "{userdesktop}\fieldapp"; Filename: "{app}\fieldapp-gui.exe"; Tasks: desktopicon

[Tasks]
Name: "desktopicon"; Description: "{cm:CreateDesktopIcon}"; GroupDescription: "{cm:AdditionalIcons}"

[Run]
Filename: "{app}\fieldapp.exe"; Parameters: "self-test"; Flags: runhidden waituntilterminated; StatusMsg: "Checking the installation..."
Filename: "{app}\fieldapp-gui.exe"; Description: "{cm:LaunchProgram,fieldapp}"; Flags: nowait postinstall skipifsilent

[UninstallDelete]
; Only what the installer made; the agent's store (unsent visits!) in %LOCALAPPDATA% is kept.
Type: filesandordirs; Name: "{app}\_internal"
