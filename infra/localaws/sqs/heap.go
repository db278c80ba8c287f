package sqs

import "container/heap"

// indexHeap is a binary min-heap that tells each element its position, so an
// element can be removed or re-ordered in O(log n) when it changes state (a
// message deleted while in flight, a visibility timeout changed).
type indexHeap[T any] struct {
	items    []T
	less     func(a, b T) bool
	setIndex func(x T, i int) // i is -1 once x has left the heap
}

func newIndexHeap[T any](less func(a, b T) bool, setIndex func(T, int)) indexHeap[T] {
	return indexHeap[T]{less: less, setIndex: setIndex}
}

// heap.Interface, on a pointer so that Push/Pop can grow the slice.

func (h *indexHeap[T]) Len() int           { return len(h.items) }
func (h *indexHeap[T]) Less(i, j int) bool { return h.less(h.items[i], h.items[j]) }
func (h *indexHeap[T]) Swap(i, j int) {
	h.items[i], h.items[j] = h.items[j], h.items[i]
	h.setIndex(h.items[i], i)
	h.setIndex(h.items[j], j)
}
func (h *indexHeap[T]) Push(x any) {
	v := x.(T)
	h.setIndex(v, len(h.items))
	h.items = append(h.items, v)
}
func (h *indexHeap[T]) Pop() any {
	n := len(h.items) - 1
	v := h.items[n]
	var zero T
	h.items[n] = zero
	h.items = h.items[:n]
	h.setIndex(v, -1)
	return v
}

func (h *indexHeap[T]) push(v T) { heap.Push(h, v) }

// peek returns the smallest element; ok is false when the heap is empty.
func (h *indexHeap[T]) peek() (v T, ok bool) {
	if len(h.items) == 0 {
		return v, false
	}
	return h.items[0], true
}

// remove takes the element at index i out of the heap.
func (h *indexHeap[T]) remove(i int) { heap.Remove(h, i) }

// fix restores the order after the key of the element at index i changed.
func (h *indexHeap[T]) fix(i int) { heap.Fix(h, i) }
