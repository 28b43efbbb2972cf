/**
 * The command palette (Ctrl+K or Ctrl+Shift+P; ⌘ on macOS): every listed command of the app
 * registry with its shortcut, filtered as you type (cmdk does the fuzzy ranking and the keyboard
 * navigation). A chosen command runs through `runCommand`, exactly as its menu item and key do.
 */
import { useMemo, type JSX } from 'react';
import { Command } from 'cmdk';
import { allCommands, displayChord, runCommand, type AppCommand } from '../app/appCommands.js';
import { closeDialog } from '../state/uiStore.js';

/** Commands grouped for the palette, in registry order. */
function grouped(): [string, AppCommand[]][] {
  const groups = new Map<string, AppCommand[]>();
  for (const c of allCommands()) {
    // The palette itself is not worth listing in the palette.
    if (c.listed === false || c.id === 'view.commandPalette') continue;
    const list = groups.get(c.group) ?? [];
    list.push(c);
    groups.set(c.group, list);
  }
  return [...groups];
}

/** The palette, shown as a dialog (`{ kind: 'commands' }`). */
export function CommandPalette(): JSX.Element {
  const groups = useMemo(grouped, []);
  const choose = (id: string) => {
    // Close first: the command may open a dialog of its own.
    closeDialog();
    runCommand(id);
  };
  return (
    <div className="ll-modal-backdrop ll-palette-backdrop" onMouseDown={closeDialog}>
      <div className="ll-cmdk" onMouseDown={(e) => e.stopPropagation()} data-testid="command-palette">
        <Command
          label="Command palette"
          loop
          onKeyDown={(e) => {
            if (e.key === 'Escape') {
              e.preventDefault();
              closeDialog();
            }
            // Keys typed here never reach the canvas shortcuts.
            e.stopPropagation();
          }}
        >
          <Command.Input autoFocus placeholder="Type a command…" className="ll-cmdk-input" />
          <Command.List className="ll-cmdk-list">
            <Command.Empty className="ll-cmdk-empty">No command matches.</Command.Empty>
            {groups.map(([group, commands]) => (
              <Command.Group key={group} heading={group}>
                {commands.map((c) => {
                  const enabled = c.enabled?.() ?? true;
                  return (
                    <Command.Item key={c.id} value={c.id} keywords={[c.title, group]} onSelect={choose} disabled={!enabled} data-command={c.id}>
                      <span className="title">{c.title}</span>
                      <span className="keys">
                        {c.shortcut?.map((k) => (
                          <kbd key={k}>{displayChord(k)}</kbd>
                        ))}
                      </span>
                    </Command.Item>
                  );
                })}
              </Command.Group>
            ))}
          </Command.List>
        </Command>
      </div>
    </div>
  );
}
