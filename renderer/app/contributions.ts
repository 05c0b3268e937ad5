/**
 * What a capability's UI contributes to the shell: workspaces (a nav button
 * and the main area while it is active) and Help entries (a dialog). Each
 * capability declares its own in `capabilities/<name>/ui/contribution.tsx`
 * (`export const contributions: WorkspaceContribution[]`); the shell finds
 * them with Vite's `import.meta.glob` (registry.ts), so no shell file lists
 * them and adding a capability's UI touches only its own folder.
 */
import type { ComponentType } from 'react';
import type { AuthStatus } from '../../capabilities/security/contract.js';
import type { Patient } from '../../capabilities/patients/contract.js';
import type { SeriesRecord, StudyRecord } from '../../capabilities/studies/contract.js';
import type { SystemInfo } from '../../capabilities/system/contract.js';
import type { Twin } from '../../capabilities/twins/contract.js';
import type { Job } from '../../electron/contract/index.js';
import type { Client } from '../ipc/client.js';
import type { Placed } from './placement.js';

/** The patient open in the shell, with its studies and twins (shared by the workspaces). */
export interface OpenPatient {
  patient: Patient;
  studies: StudyRecord[];
  twins: Twin[];
  /** Reloads the studies and twins (e.g. after a job made a new one). */
  refresh(): Promise<void>;
}

/** The session's sign-in state and its actions (from the access gate). */
export interface SessionView {
  status: AuthStatus;
  /** Re-reads the sign-in status (e.g. after the first account turned sign-in on). */
  refresh(): void;
  signOut(): void;
  lock(): void;
}

/** What the shell hands every workspace and Help panel. */
export interface WorkspaceProps {
  client: Client;
  /** The workstation's identity (version, data directory, example data); null until known. */
  info: SystemInfo | null;
  /** The open patient, or null when none is open. */
  open: OpenPatient | null;
  session: SessionView;
  /** Shows an error in the shell's error bar. */
  onError(e: unknown): void;
  /** Clears the shell's error bar (e.g. when the user starts something new). */
  clearError(): void;
  /** Reloads the sidebar's patient list (e.g. after a patient came back from the trash). */
  patientsChanged?(): void;
  /** Opens a patient by id in the home workspace, as the sidebar's list does (e.g. the PACS browser after a retrieval). */
  openPatientById?(patientId: string): Promise<void>;
  /** The capabilities' panels of the open patient's page that this session may see, in order (for the patient workspace). */
  patientPanels?: readonly PatientPanelContribution[];
  /** The capabilities' actions on a series of the open patient that this session may see, in order (for the Series panel). */
  seriesActions?: readonly SeriesActionContribution[];
}

/** One workspace or Help entry contributed by a capability's UI. */
export interface WorkspaceContribution extends Placed {
  /** Unique among all contributions, e.g. "patients" (`order` and `roles`: see Placed). */
  id: string;
  /** The nav button's (or Help entry's) label. */
  title: string;
  /** 'workspace': a nav button and the main area; 'help': an entry of the sidebar's Help menu, shown as a dialog. */
  menu: 'workspace' | 'help';
  /** The workspace shown at start and when a patient is opened from the sidebar (one contribution sets it). */
  home?: boolean;
  component: ComponentType<WorkspaceProps>;
}

/**
 * A panel a capability adds to the open patient's page (Patients workspace), below the study panels: what the
 * patient's twin holds from that capability (e.g. the motion lab's features). Rendered per patient (a new patient
 * mounts it afresh).
 */
export interface PatientPanelContribution extends Placed {
  component: ComponentType<{ client: Client; patientId: string; onError(e: unknown): void }>;
}

/** What the Series panel hands a series action: the series, its study, and the panel's job and error handling. */
export interface SeriesActionProps {
  client: Client;
  study: StudyRecord;
  series: SeriesRecord;
  /** A job of the patient page is running (start nothing else). */
  busy: boolean;
  /** Whether the session may call a method (`service.method`): an action behind another is not shown. */
  can(method: string): boolean;
  /** A job the action started: the patient page follows it (JobBar); the series list is reloaded when it ends. */
  onJob(job: Job): void;
  onError(e: unknown): void;
}

/**
 * An action a capability adds to each series row of the open patient's Series panel (e.g. "Enhance…" on an
 * ultrasound volume). The component decides itself whether it applies to the row's series (null when not), so the
 * studies capability knows no capability that contributes one.
 */
export interface SeriesActionContribution extends Placed {
  component: ComponentType<SeriesActionProps>;
}

/** The shape of a `capabilities/<name>/ui/contribution.tsx` module. */
export interface ContributionModule {
  contributions: WorkspaceContribution[];
  patientPanels?: PatientPanelContribution[];
  seriesActions?: SeriesActionContribution[];
}
