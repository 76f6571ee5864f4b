/**
 * The drop store for React, one per engine client (the overlay and every "Choose files…"
 * button share it), and the window's drag-and-drop wiring.
 */
import { useEffect } from 'react'
import { useStore } from 'zustand'
import type { StoreApi } from 'zustand/vanilla'
import type { Client } from '../../api'
import { useClient } from '../../client'
import { createIntakeStore, type IntakeState } from './intake'

const stores = new WeakMap<Client, StoreApi<IntakeState>>()

export function useIntakeStore(): StoreApi<IntakeState> {
  const client = useClient()
  let store = stores.get(client)
  if (!store) {
    store = createIntakeStore(client)
    stores.set(client, store)
  }
  return store
}

export function useIntake<T>(selector: (state: IntakeState) => T): T {
  return useStore(useIntakeStore(), selector)
}

/** The hidden file input every "Choose files…" button opens. */
export const FILE_INPUT_ID = 'intake-file-input'

export function openFilePicker(): void {
  document.getElementById(FILE_INPUT_ID)?.click()
}

/** Only drags that carry files: text or a link dragged about the page is none of intake's business. */
const carriesFiles = (event: DragEvent): boolean => Array.from(event.dataTransfer?.types ?? []).includes('Files')

/**
 * Files dragged anywhere over the window show the overlay; dropped, they are read. Enter
 * and leave fire for every element crossed, so a count of them tells when the drag has
 * left the window.
 */
export function useWindowDrop(store: StoreApi<IntakeState>): void {
  useEffect(() => {
    let depth = 0
    const busy = () => ['reading', 'committing'].includes(store.getState().phase)
    const onEnter = (event: DragEvent) => {
      if (!carriesFiles(event)) return
      event.preventDefault()
      depth++
      if (!busy()) store.getState().setDragging(true)
    }
    const onOver = (event: DragEvent) => {
      if (!carriesFiles(event)) return
      // Without this the browser opens the file instead of letting the page take it.
      event.preventDefault()
      if (event.dataTransfer) event.dataTransfer.dropEffect = busy() ? 'none' : 'copy'
    }
    const onLeave = (event: DragEvent) => {
      if (!carriesFiles(event)) return
      depth = Math.max(0, depth - 1)
      if (depth === 0) store.getState().setDragging(false)
    }
    const onDrop = (event: DragEvent) => {
      if (!carriesFiles(event)) return
      event.preventDefault()
      depth = 0
      store.getState().setDragging(false)
      if (!busy()) void store.getState().take(Array.from(event.dataTransfer?.files ?? []))
    }
    window.addEventListener('dragenter', onEnter)
    window.addEventListener('dragover', onOver)
    window.addEventListener('dragleave', onLeave)
    window.addEventListener('drop', onDrop)
    return () => {
      window.removeEventListener('dragenter', onEnter)
      window.removeEventListener('dragover', onOver)
      window.removeEventListener('dragleave', onLeave)
      window.removeEventListener('drop', onDrop)
    }
  }, [store])
}
