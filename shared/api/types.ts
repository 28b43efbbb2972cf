/**
 * Data exchanged through the API contract (contract.ts). Everything here is plain JSON so it can
 * cross Electron IPC and the browser host's WebSocket unchanged.
 */
import type { ProjectDocument } from '../graph/document.js';

/** Dataset and training types are defined once, next to the code that produces them. */
export type { DatasetReport } from '../training/dataset.js';
export type { Metrics, RunDetails, RunSummary, TrainingEvent } from '../training/protocol.js';
export type { ConfusionMatrix } from '../training/evaluation.js';
export type { WeightChoices, WeightProvenance } from '../training/weightSource.js';
export type { QuantizationReport, WeightQuantization } from '../codegen/quantize.js';
import type { CheckpointChoice, WeightProvenance } from '../training/weightSource.js';
import type { TrainingEngine } from '../training/protocol.js';
import type { KerasVersions } from '../training/kerasVersions.js';
import type { QuantizationReport, WeightQuantization } from '../codegen/quantize.js';
import type { TfliteMode } from '../codegen/keras/tflite.js';

/** Which host serves the renderer. */
export type HostKind = 'web' | 'electron';

/**
 * What the host can do. The UI shows a panel's controls only when its service is connected, and
 * says so plainly otherwise, instead of failing on click.
 */
export interface HostCapabilities {
  /** Native open/save/folder dialogs (`pickPath`). The browser host uses path fields instead. */
  readonly nativeDialogs: boolean;
  readonly datasets: boolean;
  readonly training: boolean;
  readonly codegen: boolean;
  readonly export: boolean;
  readonly backend: boolean;
}

/** About the running app. */
export interface AppInfo {
  readonly host: HostKind;
  readonly version: string;
  /** `process.platform` of the host (`linux`, `darwin`, `win32`). */
  readonly platform: string;
  /** A project to open at start (command line or file association), or null. */
  readonly startupProject: string | null;
  /** Where "Open" and "Save as" start (the host's working folder). */
  readonly defaultDirectory: string;
  /** Datasets bundled with the app, offered in the dataset panel. */
  readonly sampleDatasets: readonly { readonly name: string; readonly path: string }[];
  readonly capabilities: HostCapabilities;
}

/** A project read from disk or created from a template. */
export interface OpenedProject {
  /** Absolute path of the file, or null for an unsaved project (e.g. from a template). */
  readonly path: string | null;
  readonly doc: ProjectDocument;
  /** Format version the file was migrated from, when it was older. */
  readonly migratedFrom?: number;
}

/** How to import a model file (Open of a `.keras`, `.h5`, JSON or tfjs model). */
export interface ImportModelOptions {
  /**
   * Keep each layer Layerloom cannot represent as an opaque block (its config and weights kept,
   * LL027 on the node) instead of stopping the import (`layerloom import --allow-unsupported`).
   */
  readonly allowUnsupported: boolean;
}

/** Result of a save. */
export interface SavedProject {
  readonly path: string;
  /** ISO time of the save. */
  readonly savedAt: string;
}

/** An entry of the recent-projects list. */
export interface RecentProject {
  readonly path: string;
  readonly name: string;
  /** ISO time it was last opened or saved. */
  readonly openedAt: string;
}

/** A template (one of the bundled example projects). */
export interface TemplateInfo {
  readonly id: string;
  readonly name: string;
  /** One line on what the network does. */
  readonly description: string;
  readonly nodeCount: number;
  /** Total weights, as Keras counts them. */
  readonly params: number;
  /** Node positions and edges for a thumbnail drawing. */
  readonly preview: {
    readonly nodes: readonly { readonly id: string; readonly type: string; readonly x: number; readonly y: number }[];
    readonly edges: readonly { readonly source: string; readonly target: string }[];
  };
}

/** What a native path picker is for; decides the dialog kind and filters. */
export type PickPurpose = 'openProject' | 'saveProject' | 'datasetFolder' | 'exportFolder' | 'pythonInterpreter';

/** The Keras engine's Python interpreter (`getPythonInterpreter`, `setPythonInterpreter`). */
export interface PythonInterpreterStatus {
  /** The interpreter the Keras engine runs. */
  readonly python: string;
  /** Where it comes from: LAYERLOOM_PYTHON, the saved setting, or the default (python3). */
  readonly source: 'environment' | 'setting' | 'default';
  /** The saved setting (null: none). */
  readonly saved: string | null;
  /** What it has; null when the Keras engine cannot use it. */
  readonly versions: KerasVersions | null;
  /** One line: `Keras 3.15.0 / TensorFlow 2.21.0 (Python 3.11.2) on CPU:0`. */
  readonly description: string | null;
  /** Why the Keras engine cannot use it, and the fix; null when it can. */
  readonly problem: string | null;
}

/** Arguments of `pickPath`. */
export interface PickPathRequest {
  readonly purpose: PickPurpose;
  readonly defaultPath?: string;
}

/** Arguments of `writeRecovery`: the unsaved state of one editor. */
export interface RecoveryWrite {
  /** Identifies the editor session (random per window/tab). */
  readonly key: string;
  /** The project's file, or null when it was never saved. */
  readonly path: string | null;
  readonly doc: ProjectDocument;
}

/** Unsaved work found in the recovery folder. */
export interface RecoveryEntry {
  readonly key: string;
  readonly path: string | null;
  readonly name: string;
  /** ISO time of the last autosave. */
  readonly savedAt: string;
  readonly doc: ProjectDocument;
}

/** Arguments of `scanDataset`. */
export interface DatasetScanRequest {
  /** Folder or CSV file; a relative path is resolved against the project's folder. */
  readonly path: string;
  /** The project file, for resolving relative paths; null for an unsaved project. */
  readonly projectPath: string | null;
  /** CSV only: the column to predict (by header name); the last column when absent. */
  readonly targetColumn?: string;
}


/** Arguments of `startTraining`. */
export interface StartTrainingRequest {
  /** The project as it is in the editor now (training settings and dataset included). */
  readonly doc: ProjectDocument;
  /** The project file (runs are stored beside it, and relative dataset paths resolve against it). */
  readonly projectPath: string | null;
  /** The editor session (its recovery key): runs of a never-saved project are kept with its recovery state. */
  readonly sessionKey?: string;
  /** Which engine trains (default `tfjs`); `keras` runs Python Keras with the host's interpreter setting. */
  readonly engine?: TrainingEngine;
}

/** Arguments of `listRuns`. */
export interface ListRunsRequest {
  readonly projectPath: string | null;
  /** For a never-saved project: the editor session whose runs to list. */
  readonly sessionKey?: string;
}

/** Arguments of `adoptRuns`: the session whose runs move beside the project it has just saved. */
export interface AdoptRunsRequest {
  readonly sessionKey: string;
  readonly projectPath: string;
}

/** Code targets. */
export type CodeTarget = 'keras' | 'tfjs';

/** Arguments of `generateCode`. */
export interface GenerateCodeRequest {
  readonly doc: ProjectDocument;
  readonly target: CodeTarget;
}

/** A generated file. */
export interface GeneratedFile {
  /** Relative path inside the export folder, e.g. `model.py`. */
  readonly path: string;
  readonly content: string;
}

/** Generated code for one target; the main file comes first. */
export interface GeneratedCode {
  readonly target: CodeTarget;
  readonly language: 'python' | 'typescript';
  readonly files: readonly GeneratedFile[];
}

/** What an export writes: code (a {@link CodeTarget}) or an ONNX model (no code to preview). */
export type ExportTargetKind = CodeTarget | 'onnx';

/** Arguments of `exportCode`. */
export interface ExportRequest {
  readonly doc: ProjectDocument;
  readonly target: ExportTargetKind;
  /** Destination folder (created when missing). */
  readonly folder: string;
  /** The project file: its runs give trained weights, its folder anchors the dataset path. */
  readonly projectPath: string | null;
  /** Write into a folder that already has files (same-named files are replaced). Default false. */
  readonly overwrite?: boolean;
  /**
   * Which weights, in the command line's grammar (shared/training/weightSource.ts): `run` +
   * `checkpoint`, or `weights` (a model folder); `{}` is the initial weights. Absent: the best run
   * that fits the graph, else the initial weights.
   */
  readonly weights?: WeightSourceRequest;
  /** For a never-saved project: the editor session whose runs to consider. */
  readonly sessionKey?: string;
  /** TensorFlow.js target only: write float16 or uint8 weights (tfjs's quantized manifest form). */
  readonly quantize?: WeightQuantization;
  /**
   * Keras target only: also write model.tflite, converted by the exported model.py with Python
   * TensorFlow (`--tflite dynamic|float16|int8`).
   */
  readonly tflite?: TfliteMode;
}

/** The weight options of an API request: the fields of `--run`, `--checkpoint`, `--weights`, `--seed`. */
export interface WeightSourceRequest {
  readonly run?: string;
  readonly checkpoint?: CheckpointChoice;
  readonly weights?: string;
  readonly seed?: number;
}

/** Arguments of `labelRun`: a name and a note for a run (empty text removes them). */
export interface LabelRunRequest {
  /** The run folder. */
  readonly dir: string;
  readonly name?: string;
  readonly note?: string;
}

/** Arguments of `listWeightChoices`. */
export interface WeightChoicesRequest {
  /** The graph the weights must fit (as in the editor now). */
  readonly doc: ProjectDocument;
  readonly projectPath: string | null;
  /** For a never-saved project: the editor session whose runs to consider. */
  readonly sessionKey?: string;
}

/** What an export wrote. */
export interface ExportResult {
  readonly folder: string;
  /** Absolute paths of the files written. */
  readonly files: readonly string[];
  /** Which run and checkpoint (or initial weights) the weights came from. */
  readonly provenance: WeightProvenance;
  /** Notes for the user (runs passed over and why). */
  readonly notes: readonly string[];
  /** Weights size before → after and float vs quantized accuracy, for a quantized export. */
  readonly quantization?: QuantizationReport;
  /** The model.tflite written with `tflite`: its mode and size, and the float32 weights' size. */
  readonly tflite?: { readonly mode: TfliteMode; readonly bytes: number; readonly floatBytes: number };
}

/** The backend doctor's verdict, as the status bar shows it. */
export interface BackendStatus {
  /** tfjs backend name: `tensorflow`, `wasm`, `cpu`, … */
  readonly backend: string;
  /** `CPU`, `GPU (CUDA 12)`, … */
  readonly device: string;
  /** False when training would be unusably slow or broken; `summary` says what to install. */
  readonly ok: boolean;
  /** One line for people. */
  readonly summary: string;
  /** Longer explanation, one line each. */
  readonly details: readonly string[];
}

/** A command sent by the host to the editor (Electron menus: `edit.undo`, `file.save`, …). */
export interface AppCommandEvent {
  readonly command: string;
}

/** The host asks the editor to open a file (file association, second instance, drop on the dock). */
export interface OpenFileEvent {
  readonly path: string;
}

/** What a folder entry is; `other` covers sockets, pipes, devices and links to nowhere. */
export type FolderEntryKind = 'folder' | 'file' | 'other';

/** One entry of a folder listing. */
export interface FolderEntry {
  readonly name: string;
  readonly kind: FolderEntryKind;
  /** Bytes, for files. */
  readonly size?: number;
  /** ISO time of the last change, when it could be read. */
  readonly modified?: string;
}

/** Which folder to list for the file browser, and which files to show. */
export interface ListFolderRequest {
  /** An absolute folder path. */
  readonly path: string;
  /** Show only files with these endings (`.layerloom`, `.csv`); folders always show. Absent: every file. */
  readonly extensions?: readonly string[];
}

/** A folder's contents for the file browser: folders first, then files, by name. */
export interface FolderListing {
  /** The folder, as an absolute, normalised path. */
  readonly path: string;
  /** Its parent, or null at a root (`/`, `C:\`). */
  readonly parent: string | null;
  /** The path separator of the host (`/` or `\`), for breadcrumbs and joining names. */
  readonly separator: '/' | '\\';
  readonly entries: readonly FolderEntry[];
  /** Matching entries in the folder; more than `entries.length` when `truncated`. */
  readonly total: number;
  /** True when the folder held more matching entries than the listing limit. */
  readonly truncated: boolean;
  /** Most entries a listing returns. */
  readonly limit: number;
}
